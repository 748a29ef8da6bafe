//! The key guard's rules, table-driven: every DynamoDB refusal class of SECURITY.md that the
//! guard decides, each beside the tenant's own request of the same shape (a rule that refused
//! everything would fail every table), decided by [`TableRules::check`] alone: no scope, no
//! client, no moto.

use super::*;
use crate::guard::cases::{self, Case, case};
use aws_sdk_dynamodb::operation::describe_table::DescribeTableInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::types::{
    BatchStatementRequest, Condition, ConditionCheck, Delete, DeleteRequest, Get, KeysAndAttributes,
    ParameterizedStatement, Put, PutRequest, TransactGetItem, TransactWriteItem, Update, WriteRequest,
};
use std::borrow::Cow;
use std::sync::LazyLock;
use tenant_isolation_core::{Confinement, HandlerModel, KeyRule, Partition, PhysicalName};

/// The handler's model. `Orders`: partition key `pk`, keys `TENANT#<tenant>…`, index `ByCustomer` on `gsi1pk`, every
/// item action and PartiQL. `Customers`: partition key `id`, keys `CUST#<tenant>…`, `GetItem` only.
static SPEC: LazyLock<HandlerSpec> = LazyLock::new(|| {
    let orders = TableModel {
        table: PhysicalName::Fixed("Orders".into()),
        indexes: Cow::Borrowed(&[Cow::Borrowed("ByCustomer")]),
        actions: Cow::Borrowed(&[
            Action::GetItem,
            Action::PutItem,
            Action::UpdateItem,
            Action::DeleteItem,
            Action::Query,
            Action::BatchGetItem,
            Action::BatchWriteItem,
            Action::ConditionCheckItem,
            Action::PartiQLSelect,
            Action::PartiQLInsert,
            Action::PartiQLUpdate,
            Action::PartiQLDelete,
        ]),
        keys: KeyRule::new("TENANT#"),
    };
    let customers = TableModel {
        table: PhysicalName::Fixed("Customers".into()),
        indexes: Cow::Borrowed(&[]),
        actions: Cow::Borrowed(&[Action::GetItem]),
        keys: KeyRule::new("CUST#"),
    };
    let model = HandlerModel {
        tables: vec![orders, customers].into(),
        buckets: Cow::Borrowed(&[]),
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    // The rules read the model, never the template: no template, as every action on two tables
    // is more than one session policy holds (`HandlerSpec::new` would refuse it).
    HandlerSpec::from_macro("orders", "", model, "")
});

const ORDERS_ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders";

fn rules() -> TableRules {
    let placement = Placement::new(Partition::Aws, "us-east-1", "123456789012", &["Orders", "Customers"], &[]).unwrap();
    let keys = KeySchema {
        table: "pk".into(),
        tables: [("Customers".to_owned(), "id".to_owned())].into(),
        indexes: [("ByCustomer".to_owned(), "gsi1pk".to_owned())].into(),
    };
    TableRules::new(&SPEC, &placement, keys)
}

/// Decides every case with the fixture's rules.
fn run(table: Vec<Case<Operation>>) {
    cases::run(&rules(), table)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn item(pairs: &[(&str, &str)]) -> HashMap<String, AttributeValue> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), s(v))).collect()
}

fn foreign(attribute: &str) -> Result<Operation, Violation> {
    Err(Violation::ForeignKey { attribute: attribute.to_owned() })
}

fn missing(attribute: &str) -> Result<Operation, Violation> {
    Err(Violation::MissingKey { attribute: attribute.to_owned() })
}

fn get(table: &str, attribute: &str, value: &str) -> GetItemInput {
    GetItemInput::builder().table_name(table).key(attribute, s(value)).build().unwrap()
}

fn put(pairs: &[(&str, &str)]) -> PutItemInput {
    PutItemInput::builder().table_name("Orders").set_item(Some(item(pairs))).build().unwrap()
}

fn delete(value: &str) -> DeleteItemInput {
    DeleteItemInput::builder().table_name("Orders").key("pk", s(value)).build().unwrap()
}

/// `UpdateItem` of the tenant's item with `expression`, `:v` bound to `value`.
fn update(expression: &str, value: &str) -> UpdateItemInput {
    UpdateItemInput::builder()
        .table_name("Orders")
        .key("pk", s("TENANT#acme"))
        .update_expression(expression)
        .expression_attribute_names("#g", "gsi1pk")
        .expression_attribute_values(":v", s(value))
        .build()
        .unwrap()
}

fn update_key(value: &str) -> UpdateItemInput {
    UpdateItemInput::builder().table_name("Orders").key("pk", s(value)).update_expression("SET a = :a").build().unwrap()
}

/// Legacy `AttributeUpdates` of `gsi1pk` on the tenant's item.
fn legacy(action: AttributeAction, value: &str) -> UpdateItemInput {
    let update = AttributeValueUpdate::builder().action(action).value(s(value)).build();
    UpdateItemInput::builder()
        .table_name("Orders")
        .key("pk", s("TENANT#acme"))
        .attribute_updates("gsi1pk", update)
        .build()
        .unwrap()
}

fn query(index: Option<&str>, expression: &str, value: &str) -> QueryInput {
    QueryInput::builder()
        .table_name("Orders")
        .set_index_name(index.map(str::to_owned))
        .key_condition_expression(expression)
        .expression_attribute_values(":v", s(value))
        .build()
        .unwrap()
}

fn batch_get(table: &str, attribute: &str, values: &[&str]) -> BatchGetItemInput {
    let keys = values.iter().fold(KeysAndAttributes::builder(), |b, v| b.keys(item(&[(attribute, v)])));
    BatchGetItemInput::builder().request_items(table, keys.build().unwrap()).build().unwrap()
}

fn put_request(pairs: &[(&str, &str)]) -> WriteRequest {
    WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item(pairs))).build().unwrap()).build()
}

fn delete_request(value: &str) -> WriteRequest {
    let key = item(&[("pk", value)]);
    WriteRequest::builder().delete_request(DeleteRequest::builder().set_key(Some(key)).build().unwrap()).build()
}

fn batch_write(table: &str, writes: Vec<WriteRequest>) -> BatchWriteItemInput {
    BatchWriteItemInput::builder().request_items(table, writes).build().unwrap()
}

fn transact_get(gets: &[(&str, &str, &str)]) -> TransactGetItemsInput {
    gets.iter()
        .fold(TransactGetItemsInput::builder(), |b, (table, attribute, value)| {
            let get = Get::builder().table_name(*table).set_key(Some(item(&[(attribute, value)]))).build().unwrap();
            b.transact_items(TransactGetItem::builder().get(get).build())
        })
        .build()
        .unwrap()
}

fn t_put(table: &str, pairs: &[(&str, &str)]) -> TransactWriteItem {
    let put = Put::builder().table_name(table).set_item(Some(item(pairs))).build().unwrap();
    TransactWriteItem::builder().put(put).build()
}

fn t_update(value: &str, expression: &str, index_value: &str) -> TransactWriteItem {
    let update = Update::builder()
        .table_name("Orders")
        .set_key(Some(item(&[("pk", value)])))
        .update_expression(expression)
        .expression_attribute_values(":v", s(index_value))
        .build()
        .unwrap();
    TransactWriteItem::builder().update(update).build()
}

fn t_delete(value: &str) -> TransactWriteItem {
    let delete = Delete::builder().table_name("Orders").set_key(Some(item(&[("pk", value)]))).build().unwrap();
    TransactWriteItem::builder().delete(delete).build()
}

fn t_check(value: &str) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name("Orders")
        .set_key(Some(item(&[("pk", value)])))
        .condition_expression("attribute_exists(pk)")
        .build()
        .unwrap();
    TransactWriteItem::builder().condition_check(check).build()
}

fn transact_write(items: Vec<TransactWriteItem>) -> TransactWriteItemsInput {
    TransactWriteItemsInput::builder().set_transact_items(Some(items)).build().unwrap()
}

/// `ExecuteStatement` of `statement` with string parameters.
fn partiql(statement: &str, parameters: &[&str]) -> ExecuteStatementInput {
    ExecuteStatementInput::builder()
        .statement(statement)
        .set_parameters(Some(parameters.iter().map(|p| s(p)).collect()))
        .build()
        .unwrap()
}

#[test]
fn other_tenants_keys_are_refused() {
    run(vec![
        case("GetItem, own key", get("Orders", "pk", "TENANT#acme"), Ok(Operation::GetItem)),
        case("GetItem, own key with a suffix", get("Orders", "pk", "TENANT#acme#ORDER#1"), Ok(Operation::GetItem)),
        case("GetItem, globex's key", get("Orders", "pk", "TENANT#globex"), foreign("pk")),
        case("GetItem, globex's key with a suffix", get("Orders", "pk", "TENANT#globex#ORDER#1"), foreign("pk")),
        case("GetItem, as globex", get("Orders", "pk", "TENANT#acme"), foreign("pk")).by("globex"),
        case("GetItem, no partition key", get("Orders", "sk", "TENANT#acme"), missing("pk")),
        case(
            "GetItem, a number for the key",
            GetItemInput::builder().table_name("Orders").key("pk", AttributeValue::N("1".into())).build().unwrap(),
            foreign("pk"),
        ),
        case("PutItem, own key", put(&[("pk", "TENANT#acme")]), Ok(Operation::PutItem)),
        case("PutItem, globex's key", put(&[("pk", "TENANT#globex")]), foreign("pk")),
        case("UpdateItem, own key", update_key("TENANT#acme"), Ok(Operation::UpdateItem)),
        case("UpdateItem, globex's key", update_key("TENANT#globex"), foreign("pk")),
        case("DeleteItem, own key", delete("TENANT#acme"), Ok(Operation::DeleteItem)),
        case("DeleteItem, globex's key", delete("TENANT#globex"), foreign("pk")),
        case("Query, own key", query(None, "pk = :v", "TENANT#acme"), Ok(Operation::Query)),
        case("Query, globex's key", query(None, "pk = :v AND begins_with(sk, :v)", "TENANT#globex"), foreign("pk")),
        case("Query, a range on the key", query(None, "pk >= :v", "TENANT#acme"), missing("pk")),
        case("Query, the sort key only", query(None, "sk = :v", "TENANT#acme"), missing("pk")),
        case(
            "Query, legacy KeyConditions, own key",
            QueryInput::builder()
                .table_name("Orders")
                .key_conditions(
                    "pk",
                    Condition::builder()
                        .comparison_operator(ComparisonOperator::Eq)
                        .attribute_value_list(s("TENANT#acme"))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            Ok(Operation::Query),
        ),
        case(
            "Query, legacy KeyConditions, a prefix of the key",
            QueryInput::builder()
                .table_name("Orders")
                .key_conditions(
                    "pk",
                    Condition::builder()
                        .comparison_operator(ComparisonOperator::BeginsWith)
                        .attribute_value_list(s("TENANT#"))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            missing("pk"),
        ),
        case(
            "Query, own key, globex's ExclusiveStartKey",
            QueryInput::builder()
                .table_name("Orders")
                .key_condition_expression("pk = :v")
                .expression_attribute_values(":v", s("TENANT#acme"))
                .set_exclusive_start_key(Some(item(&[("pk", "TENANT#globex"), ("sk", "x")])))
                .build()
                .unwrap(),
            foreign("pk"),
        ),
    ]);
}

#[test]
fn keys_that_only_start_like_the_tenants_are_refused() {
    run(vec![
        case("`TENANT#acme`", get("Orders", "pk", "TENANT#acme"), Ok(Operation::GetItem)),
        case("`TENANT#acme#x`", get("Orders", "pk", "TENANT#acme#x"), Ok(Operation::GetItem)),
        case("`TENANT#acme-2` for acme", get("Orders", "pk", "TENANT#acme-2"), foreign("pk")),
        case("`TENANT#acmex` for acme", get("Orders", "pk", "TENANT#acmex"), foreign("pk")),
        case("`TENANT#acme-2#x` for acme", get("Orders", "pk", "TENANT#acme-2#x"), foreign("pk")),
        case("`TENANT#acme` for acme-2", get("Orders", "pk", "TENANT#acme"), foreign("pk")).by("acme-2"),
        case("`TENANT#acme-2` for acme-2", get("Orders", "pk", "TENANT#acme-2"), Ok(Operation::GetItem)).by("acme-2"),
        case("`TENANT#ACME` for acme", get("Orders", "pk", "TENANT#ACME"), foreign("pk")),
        case("`acme` without the prefix", get("Orders", "pk", "acme"), foreign("pk")),
        case("`TENANT#` alone", get("Orders", "pk", "TENANT#"), foreign("pk")),
        case("`CUST#acmex` on Customers", get("Customers", "id", "CUST#acmex"), foreign("id")),
        case("Query, `TENANT#acmex`", query(None, "pk = :v", "TENANT#acmex"), foreign("pk")),
        case("PutItem, `TENANT#acme-2`", put(&[("pk", "TENANT#acme-2")]), foreign("pk")),
        case("index key `TENANT#acmex`", put(&[("pk", "TENANT#acme"), ("gsi1pk", "TENANT#acmex")]), foreign("gsi1pk")),
        case(
            "PartiQL, `TENANT#acme-2`",
            partiql(r#"SELECT * FROM "Orders" WHERE pk = ?"#, &["TENANT#acme-2"]),
            foreign("pk"),
        ),
    ]);
}

#[test]
fn undeclared_operations_are_refused() {
    run(vec![
        case("Scan", ScanInput::builder().table_name("Orders").build().unwrap(), Err(Violation::Operation)),
        case(
            "DescribeTable",
            DescribeTableInput::builder().table_name("Orders").build().unwrap(),
            Err(Violation::Operation),
        ),
        case("GetItem, declared on Customers", get("Customers", "id", "CUST#acme"), Ok(Operation::GetItem)),
        case(
            "PutItem, not declared on Customers",
            PutItemInput::builder()
                .table_name("Customers")
                .set_item(Some(item(&[("id", "CUST#acme")])))
                .build()
                .unwrap(),
            Err(Violation::UndeclaredAction(Action::PutItem)),
        ),
        case(
            "BatchGetItem, not declared on Customers",
            batch_get("Customers", "id", &["CUST#acme"]),
            Err(Violation::UndeclaredAction(Action::BatchGetItem)),
        ),
        case(
            "TransactGetItems, GetItem declared on Customers",
            transact_get(&[("Customers", "id", "CUST#acme")]),
            Ok(Operation::TransactGetItems),
        ),
        case(
            "TransactWriteItems, a put on Customers",
            transact_write(vec![t_put("Customers", &[("id", "CUST#acme")])]),
            Err(Violation::UndeclaredAction(Action::PutItem)),
        ),
        case(
            "PartiQL SELECT, not declared on Customers",
            partiql(r#"SELECT * FROM "Customers" WHERE id = ?"#, &["CUST#acme"]),
            Err(Violation::UndeclaredAction(Action::PartiQLSelect)),
        ),
        case(
            "PartiQL, not a statement of a declarable verb",
            partiql(r#"EXISTS(SELECT * FROM "Orders" WHERE pk = ?)"#, &["TENANT#acme"]),
            Err(Violation::Operation),
        ),
    ]);
}

#[test]
fn undeclared_tables_are_refused() {
    let table = |t: &str| Err(Violation::Table(t.to_owned()));
    let arn = |a: &str| get(a, "pk", "TENANT#acme");
    run(vec![
        case("Orders by name", get("Orders", "pk", "TENANT#acme"), Ok(Operation::GetItem)),
        case("Orders by its ARN", arn(ORDERS_ARN), Ok(Operation::GetItem)),
        case("another table", get("Invoices", "pk", "TENANT#acme"), table("Invoices")),
        case("a table name differing in case", get("orders", "pk", "TENANT#acme"), table("orders")),
        case("no table", GetItemInput::builder().key("pk", s("TENANT#acme")).build().unwrap(), table("")),
        case(
            "the ARN of another account",
            arn("arn:aws:dynamodb:us-east-1:210987654321:table/Orders"),
            table("arn:aws:dynamodb:us-east-1:210987654321:table/Orders"),
        ),
        case(
            "the ARN of another region",
            arn("arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"),
            table("arn:aws:dynamodb:eu-west-1:123456789012:table/Orders"),
        ),
        case(
            "the ARN of another partition",
            arn("arn:aws-cn:dynamodb:us-east-1:123456789012:table/Orders"),
            table("arn:aws-cn:dynamodb:us-east-1:123456789012:table/Orders"),
        ),
        case(
            "an ARN that only ends like Orders",
            arn("arn:aws:dynamodb:us-east-1:123456789012:table/XOrders"),
            table("arn:aws:dynamodb:us-east-1:123456789012:table/XOrders"),
        ),
        case("BatchGetItem, another table", batch_get("Invoices", "pk", &["TENANT#acme"]), table("Invoices")),
        case(
            "BatchWriteItem, another table",
            batch_write("Invoices", vec![put_request(&[("pk", "TENANT#acme")])]),
            table("Invoices"),
        ),
        case("TransactGetItems, another table", transact_get(&[("Invoices", "pk", "TENANT#acme")]), table("Invoices")),
        case(
            "TransactWriteItems, another table",
            transact_write(vec![t_put("Invoices", &[("pk", "TENANT#acme")])]),
            table("Invoices"),
        ),
        case(
            "PartiQL, another table",
            partiql(r#"SELECT * FROM "Invoices" WHERE pk = ?"#, &["TENANT#acme"]),
            table("Invoices"),
        ),
        case(
            "PartiQL, a table by ARN",
            partiql(&format!(r#"SELECT * FROM "{ORDERS_ARN}" WHERE pk = ?"#), &["TENANT#acme"]),
            table(ORDERS_ARN),
        ),
    ]);
}

#[test]
fn undeclared_indexes_are_refused() {
    let index = |i: &str| Err(Violation::Index(i.to_owned()));
    run(vec![
        case("ByCustomer, own key", query(Some("ByCustomer"), "gsi1pk = :v", "TENANT#acme"), Ok(Operation::Query)),
        case("ByCustomer, globex's key", query(Some("ByCustomer"), "gsi1pk = :v", "TENANT#globex"), foreign("gsi1pk")),
        case("ByCustomer, the table's key", query(Some("ByCustomer"), "pk = :v", "TENANT#acme"), missing("gsi1pk")),
        case("an undeclared index", query(Some("ByStatus"), "pk = :v", "TENANT#acme"), index("ByStatus")),
        case(
            "PartiQL, ByCustomer, own key",
            partiql(r#"SELECT * FROM "Orders"."ByCustomer" WHERE gsi1pk = ?"#, &["TENANT#acme"]),
            Ok(Operation::ExecuteStatement),
        ),
        case(
            "PartiQL, ByCustomer, globex's key",
            partiql(r#"SELECT * FROM "Orders"."ByCustomer" WHERE gsi1pk = ?"#, &["TENANT#globex"]),
            foreign("gsi1pk"),
        ),
        case(
            "PartiQL, an undeclared index",
            partiql(r#"SELECT * FROM "Orders"."ByStatus" WHERE pk = ?"#, &["TENANT#acme"]),
            index("ByStatus"),
        ),
    ]);
}

#[test]
fn index_keys_written_must_be_the_tenants() {
    let own = "TENANT#acme#c1";
    let globex = "TENANT#globex";
    let set = "SET #g = :v";
    let unreadable = Err(Violation::Unreadable("the update expression"));
    run(vec![
        case("PutItem, own index key", put(&[("pk", "TENANT#acme"), ("gsi1pk", own)]), Ok(Operation::PutItem)),
        case("PutItem, globex's index key", put(&[("pk", "TENANT#acme"), ("gsi1pk", globex)]), foreign("gsi1pk")),
        case("UpdateItem SET, own", update(set, own), Ok(Operation::UpdateItem)),
        case("UpdateItem SET, globex's", update(set, globex), foreign("gsi1pk")),
        case("UpdateItem SET by name, globex's", update("SET gsi1pk = :v", globex), foreign("gsi1pk")),
        case(
            "UpdateItem SET beside others, globex's",
            update("SET a = :v, #g = :v REMOVE b", globex),
            foreign("gsi1pk"),
        ),
        case("UpdateItem SET if_not_exists", update("SET #g = if_not_exists(#g, :v)", own), foreign("gsi1pk")),
        case("UpdateItem SET from another attribute", update("SET #g = other", own), foreign("gsi1pk")),
        case("UpdateItem ADD", update("ADD #g :v", own), foreign("gsi1pk")),
        case("UpdateItem DELETE", update("DELETE #g :v", own), foreign("gsi1pk")),
        case("UpdateItem REMOVE", update("REMOVE #g", own), Ok(Operation::UpdateItem)),
        case("UpdateItem SET of a nested path", update("SET #g.x = :v", globex), Ok(Operation::UpdateItem)),
        case("UpdateItem, an unreadable expression", update("#g = :v", own), unreadable),
        case("AttributeUpdates PUT, own", legacy(AttributeAction::Put, own), Ok(Operation::UpdateItem)),
        case("AttributeUpdates PUT, globex's", legacy(AttributeAction::Put, globex), foreign("gsi1pk")),
        case("AttributeUpdates ADD", legacy(AttributeAction::Add, own), foreign("gsi1pk")),
        case("AttributeUpdates DELETE", legacy(AttributeAction::Delete, globex), Ok(Operation::UpdateItem)),
        case(
            "BatchWriteItem, own index key",
            batch_write("Orders", vec![put_request(&[("pk", "TENANT#acme"), ("gsi1pk", own)])]),
            Ok(Operation::BatchWriteItem),
        ),
        case(
            "BatchWriteItem, globex's index key",
            batch_write("Orders", vec![put_request(&[("pk", "TENANT#acme"), ("gsi1pk", globex)])]),
            foreign("gsi1pk"),
        ),
        case(
            "TransactWriteItems put, own index key",
            transact_write(vec![t_put("Orders", &[("pk", "TENANT#acme"), ("gsi1pk", own)])]),
            Ok(Operation::TransactWriteItems),
        ),
        case(
            "TransactWriteItems put, globex's index key",
            transact_write(vec![t_put("Orders", &[("pk", "TENANT#acme"), ("gsi1pk", globex)])]),
            foreign("gsi1pk"),
        ),
        case(
            "TransactWriteItems update, own index key",
            transact_write(vec![t_update("TENANT#acme", "SET gsi1pk = :v", own)]),
            Ok(Operation::TransactWriteItems),
        ),
        case(
            "TransactWriteItems update, globex's index key",
            transact_write(vec![t_update("TENANT#acme", "SET gsi1pk = :v", globex)]),
            foreign("gsi1pk"),
        ),
        case(
            "TransactWriteItems update, ADD",
            transact_write(vec![t_update("TENANT#acme", "ADD gsi1pk :v", own)]),
            foreign("gsi1pk"),
        ),
        case(
            "PartiQL INSERT, own index key",
            partiql(r#"INSERT INTO "Orders" VALUE {'pk': ?, 'gsi1pk': ?}"#, &["TENANT#acme", own]),
            Ok(Operation::ExecuteStatement),
        ),
        case(
            "PartiQL INSERT, globex's index key",
            partiql(r#"INSERT INTO "Orders" VALUE {'pk': ?, 'gsi1pk': ?}"#, &["TENANT#acme", globex]),
            foreign("gsi1pk"),
        ),
        case(
            "PartiQL UPDATE, globex's index key",
            partiql(r#"UPDATE "Orders" SET gsi1pk = ? WHERE pk = ?"#, &[globex, "TENANT#acme"]),
            foreign("gsi1pk"),
        ),
        case(
            "PartiQL UPDATE, own index key",
            partiql(r#"UPDATE "Orders" SET gsi1pk = ? WHERE pk = ?"#, &[own, "TENANT#acme"]),
            Ok(Operation::ExecuteStatement),
        ),
    ]);
}

#[test]
fn one_foreign_key_refuses_a_batch() {
    run(vec![
        case(
            "BatchGetItem, own keys",
            batch_get("Orders", "pk", &["TENANT#acme", "TENANT#acme#2"]),
            Ok(Operation::BatchGetItem),
        ),
        case(
            "BatchGetItem, one foreign key",
            batch_get("Orders", "pk", &["TENANT#acme", "TENANT#globex"]),
            foreign("pk"),
        ),
        case(
            "BatchGetItem, the foreign key first",
            batch_get("Orders", "pk", &["TENANT#globex", "TENANT#acme"]),
            foreign("pk"),
        ),
        case(
            "BatchWriteItem, own put and delete",
            batch_write("Orders", vec![put_request(&[("pk", "TENANT#acme")]), delete_request("TENANT#acme#2")]),
            Ok(Operation::BatchWriteItem),
        ),
        case(
            "BatchWriteItem, a foreign delete",
            batch_write("Orders", vec![put_request(&[("pk", "TENANT#acme")]), delete_request("TENANT#globex")]),
            foreign("pk"),
        ),
        case(
            "BatchWriteItem, a foreign put",
            batch_write("Orders", vec![delete_request("TENANT#acme"), put_request(&[("pk", "TENANT#globex")])]),
            foreign("pk"),
        ),
        case(
            "BatchWriteItem, a request with neither put nor delete",
            batch_write("Orders", vec![WriteRequest::builder().build()]),
            missing("pk"),
        ),
    ]);
}

#[test]
fn every_item_of_a_transaction_is_checked() {
    run(vec![
        case(
            "TransactGetItems, own keys on both tables",
            transact_get(&[("Orders", "pk", "TENANT#acme"), ("Customers", "id", "CUST#acme")]),
            Ok(Operation::TransactGetItems),
        ),
        case(
            "TransactGetItems, one foreign key",
            transact_get(&[("Orders", "pk", "TENANT#acme"), ("Orders", "pk", "TENANT#globex")]),
            foreign("pk"),
        ),
        case(
            "TransactGetItems, Customers read on the Orders key",
            transact_get(&[("Customers", "pk", "CUST#acme")]),
            missing("id"),
        ),
        case(
            "TransactWriteItems, own put, update, delete, check",
            transact_write(vec![
                t_put("Orders", &[("pk", "TENANT#acme")]),
                t_update("TENANT#acme#2", "SET a = :v", "x"),
                t_delete("TENANT#acme#3"),
                t_check("TENANT#acme#4"),
            ]),
            Ok(Operation::TransactWriteItems),
        ),
        case(
            "TransactWriteItems, a foreign delete",
            transact_write(vec![t_put("Orders", &[("pk", "TENANT#acme")]), t_delete("TENANT#globex")]),
            foreign("pk"),
        ),
        case(
            "TransactWriteItems, a foreign update",
            transact_write(vec![t_update("TENANT#globex", "SET a = :v", "x")]),
            foreign("pk"),
        ),
        case(
            "TransactWriteItems, a foreign condition check",
            transact_write(vec![t_put("Orders", &[("pk", "TENANT#acme")]), t_check("TENANT#globex")]),
            foreign("pk"),
        ),
        case(
            "TransactWriteItems, an item with two operations",
            transact_write(vec![
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name("Orders")
                            .set_item(Some(item(&[("pk", "TENANT#acme")])))
                            .build()
                            .unwrap(),
                    )
                    .delete(
                        Delete::builder()
                            .table_name("Orders")
                            .set_key(Some(item(&[("pk", "TENANT#globex")])))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ]),
            Err(Violation::Unreadable("a transaction item with several operations")),
        ),
        case(
            "TransactWriteItems, an empty item",
            transact_write(vec![TransactWriteItem::builder().build()]),
            Err(Violation::Unreadable("a transaction item with several operations")),
        ),
    ]);
}

#[test]
fn partiql_statements_name_the_table_and_pin_the_tenants_key() {
    let unreadable = Err(Violation::Unreadable("the PartiQL statement"));
    let select = r#"SELECT * FROM "Orders" WHERE pk = ?"#;
    run(vec![
        case("SELECT, own key", partiql(select, &["TENANT#acme"]), Ok(Operation::ExecuteStatement)),
        case("SELECT, globex's key", partiql(select, &["TENANT#globex"]), foreign("pk")),
        case(
            "SELECT, own literal",
            partiql(r#"SELECT * FROM Orders WHERE pk = 'TENANT#acme'"#, &[]),
            Ok(Operation::ExecuteStatement),
        ),
        case(
            "SELECT, globex's literal",
            partiql(r#"SELECT * FROM Orders WHERE 'TENANT#globex' = pk"#, &[]),
            foreign("pk"),
        ),
        case("SELECT, no parameter for the key", partiql(select, &[]), foreign("pk")),
        case("SELECT, a number for the key", partiql(r#"SELECT * FROM "Orders" WHERE pk = 3"#, &[]), foreign("pk")),
        case("SELECT without WHERE (a scan)", partiql(r#"SELECT * FROM "Orders""#, &[]), missing("pk")),
        case("SELECT, the sort key only", partiql(r#"SELECT * FROM "Orders" WHERE sk = ?"#, &["x"]), missing("pk")),
        case(
            "SELECT, the key pinned twice",
            partiql(r#"SELECT * FROM "Orders" WHERE pk = ? AND pk = ?"#, &["TENANT#acme", "TENANT#globex"]),
            foreign("pk"),
        ),
        case(
            "SELECT, OR",
            partiql(r#"SELECT * FROM "Orders" WHERE pk = ? OR pk = ?"#, &["TENANT#acme", "TENANT#globex"]),
            unreadable.clone(),
        ),
        case(
            "SELECT, IN",
            partiql(r#"SELECT * FROM "Orders" WHERE pk IN [?, ?]"#, &["TENANT#acme", "TENANT#globex"]),
            unreadable.clone(),
        ),
        case(
            "SELECT, a line comment",
            partiql(r#"SELECT * FROM "Orders" WHERE pk = ? -- x"#, &["TENANT#acme"]),
            unreadable.clone(),
        ),
        case(
            "UPDATE, a block comment hiding an index write",
            partiql(r#"UPDATE "Orders" /* ' */ SET gsi1pk = ? /* ' */ WHERE pk = 'TENANT#acme'"#, &["TENANT#globex"]),
            unreadable.clone(),
        ),
        case(
            "SELECT, a nested path",
            partiql(r#"SELECT * FROM "Orders" WHERE x.pk = ?"#, &["TENANT#acme"]),
            unreadable.clone(),
        ),
        case(
            "SELECT, a case-variant key",
            partiql(r#"SELECT * FROM "Orders" WHERE PK = ?"#, &["TENANT#acme"]),
            unreadable.clone(),
        ),
        case(
            "INSERT, a case-variant index key",
            partiql(r#"INSERT INTO "Orders" VALUE {'pk': ?, 'GSI1PK': ?}"#, &["TENANT#acme", "TENANT#globex"]),
            unreadable.clone(),
        ),
        case(
            "INSERT, own key",
            partiql(r#"INSERT INTO "Orders" VALUE {'pk': ?}"#, &["TENANT#acme"]),
            Ok(Operation::ExecuteStatement),
        ),
        case(
            "INSERT, globex's key",
            partiql(r#"INSERT INTO "Orders" VALUE {'pk': ?}"#, &["TENANT#globex"]),
            foreign("pk"),
        ),
        case(
            "UPDATE, globex's key",
            partiql(r#"UPDATE "Orders" SET a = 1 WHERE pk = ?"#, &["TENANT#globex"]),
            foreign("pk"),
        ),
        case(
            "DELETE, own key",
            partiql(r#"DELETE FROM "Orders" WHERE pk = ?"#, &["TENANT#acme"]),
            Ok(Operation::ExecuteStatement),
        ),
        case(
            "DELETE, globex's key",
            partiql(r#"DELETE FROM "Orders" WHERE pk = ?"#, &["TENANT#globex"]),
            foreign("pk"),
        ),
        case(
            "BatchExecuteStatement, own keys",
            BatchExecuteStatementInput::builder()
                .statements(
                    BatchStatementRequest::builder().statement(select).parameters(s("TENANT#acme")).build().unwrap(),
                )
                .statements(
                    BatchStatementRequest::builder().statement(select).parameters(s("TENANT#acme#2")).build().unwrap(),
                )
                .build()
                .unwrap(),
            Ok(Operation::BatchExecuteStatement),
        ),
        case(
            "BatchExecuteStatement, one foreign key",
            BatchExecuteStatementInput::builder()
                .statements(
                    BatchStatementRequest::builder().statement(select).parameters(s("TENANT#acme")).build().unwrap(),
                )
                .statements(
                    BatchStatementRequest::builder().statement(select).parameters(s("TENANT#globex")).build().unwrap(),
                )
                .build()
                .unwrap(),
            foreign("pk"),
        ),
        case(
            "ExecuteTransaction, own keys",
            ExecuteTransactionInput::builder()
                .transact_statements(
                    ParameterizedStatement::builder().statement(select).parameters(s("TENANT#acme")).build().unwrap(),
                )
                .build()
                .unwrap(),
            Ok(Operation::ExecuteTransaction),
        ),
        case(
            "ExecuteTransaction, one foreign key",
            ExecuteTransactionInput::builder()
                .transact_statements(
                    ParameterizedStatement::builder().statement(select).parameters(s("TENANT#acme")).build().unwrap(),
                )
                .transact_statements(
                    ParameterizedStatement::builder()
                        .statement(r#"DELETE FROM "Orders" WHERE pk = ?"#)
                        .parameters(s("TENANT#globex"))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            foreign("pk"),
        ),
    ]);
}

#[test]
fn each_table_is_checked_on_its_own_partition_key_and_rule() {
    run(vec![
        case("Customers, own key on `id`", get("Customers", "id", "CUST#acme"), Ok(Operation::GetItem)),
        case("Customers, globex's key on `id`", get("Customers", "id", "CUST#globex"), foreign("id")),
        case("Customers, own key on `pk`", get("Customers", "pk", "CUST#acme"), missing("id")),
        case("Customers, the Orders rule's key", get("Customers", "id", "TENANT#acme"), foreign("id")),
        case("Orders, the Customers rule's key", get("Orders", "pk", "CUST#acme"), foreign("pk")),
        case("Orders, own key on `id`", get("Orders", "id", "TENANT#acme"), missing("pk")),
        case(
            "Customers by ARN, own key on `id`",
            get("arn:aws:dynamodb:us-east-1:123456789012:table/Customers", "id", "CUST#acme"),
            Ok(Operation::GetItem),
        ),
        case(
            "TransactGetItems, each table on its attribute",
            transact_get(&[("Orders", "pk", "TENANT#acme"), ("Customers", "id", "CUST#globex")]),
            foreign("id"),
        ),
    ]);
}

#[test]
fn a_refusal_names_the_operation_it_refused() {
    let rules = rules();
    let acme = TenantId::parse("acme").unwrap();
    let refused = |input: Input| rules.check(&acme, &input).unwrap_err().operation();
    assert_eq!(refused(Input::erase(get("Orders", "pk", "TENANT#globex"))), "GetItem");
    assert_eq!(refused(Input::erase(partiql(r#"SELECT * FROM "Orders""#, &[]))), "ExecuteStatement");
    assert_eq!(refused(Input::erase(transact_write(vec![t_delete("TENANT#globex")]))), "TransactWriteItems");
    assert_eq!(refused(Input::erase(ScanInput::builder().table_name("Orders").build().unwrap())), "(other)");
    // After the check, refusals name the decision's operation.
    assert_eq!(<TableRules as RuleSet>::operation(&Operation::BatchWriteItem), "BatchWriteItem");
}
