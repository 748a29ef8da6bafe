//! The handlers linked into this binary, as `#[tenant_isolated]` registers them, and the
//! process's claims on physical tables and buckets, and on each service's names: no two key (or
//! name) rules that overlap are served in one process, however many runtimes it builds.

use crate::config::Env;
use crate::spec::HandlerSpec;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use tenant_isolation_core::{NameRule, PhysicalName, Placement, Service, SharedQueue, TenantRule};

/// A handler's spec, collected from every `#[tenant_isolated]` in the binary (the macro submits
/// one per handler).
#[doc(hidden)]
pub struct Registration(pub &'static HandlerSpec);
inventory::collect!(Registration);

/// Every handler registered in this binary, sorted by module path and name, each once.
///
/// Each `#[tenant_isolated]` function registers its [`HandlerSpec`] when it is linked in;
/// a binary whose handlers live in a library must reference that library
/// (`use my_lib as _;`) or they are not linked and this is empty. The same handler
/// registered twice (a binary linking two copies of its crate) is listed once.
///
/// This is what an audit reads (the `tenant-isolation-audit` crate's `policies` command).
pub fn registered_handlers() -> Vec<&'static HandlerSpec> {
    let mut specs: Vec<&'static HandlerSpec> = inventory::iter::<Registration>.into_iter().map(|r| r.0).collect();
    specs.sort_by_key(|s| (s.module_path(), s.name()));
    specs.dedup_by_key(|s| (s.module_path(), s.name()));
    specs
}

/// Two key rules that overlap on one physical table or bucket: one prefix starts the other,
/// so a tenant of the shorter prefix owns keys of the longer one (tenant `ORG` of `TENANT#`
/// owns every `TENANT#ORG#…` key; tenant `tenants` of prefix `""` owns every `tenants/…` object).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "handlers `{first}` (prefix `{first_prefix}`) and `{second}` (prefix `{second_prefix}`) share {kind} `{table}`, and one prefix starts the other: a tenant of one could own the keys or names of the other's tenants"
)]
pub struct PrefixOverlap {
    /// A table or a bucket.
    pub kind: ResourceKind,
    /// The physical table or bucket (for names: the account and region, `<account>/<region>`).
    pub table: Box<str>,
    /// One handler.
    pub first: Box<str>,
    /// Its prefix.
    pub first_prefix: Box<str>,
    /// The other handler (the same one when two of its declarations overlap).
    pub second: Box<str>,
    /// Its prefix.
    pub second_prefix: Box<str>,
}

/// What two overlapping key rules share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// A DynamoDB table.
    Table,
    /// An S3 bucket.
    Bucket,
    /// The names of one service (secrets, parameters, queues) in one account and region: one
    /// namespace, whatever else the handlers declare.
    Names(Service),
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResourceKind::Table => f.write_str("table"),
            ResourceKind::Bucket => f.write_str("bucket"),
            ResourceKind::Names(service) => write!(f, "the {} names of", service.noun()),
        }
    }
}

/// What [`PrefixOverlap::table`] says for names compared before they are placed (no account and
/// region yet: every handler of a deployment is placed in the same ones).
const THIS_ACCOUNT: &str = "this account and region";

/// Refuses key prefixes that overlap on one physical table or bucket among `handlers` (their
/// physical names as the runtime resolves them), and name rules of one service that overlap (a
/// shared queue under the name the runtime resolves for it). Deploy-time tools run it over every handler of
/// every function on a table (the `policies` audit does); [`crate::Isolation::prepare`] runs it
/// over the handlers linked into the binary.
///
/// Physical names are read from the process environment now; the runtime checks with the
/// environment it captured when it was built.
pub fn check_prefixes(handlers: &[&HandlerSpec]) -> Result<(), PrefixOverlap> {
    check_prefixes_in(handlers, &Env::live())
}

/// [`check_prefixes`] with the physical names that `env` binds.
pub(crate) fn check_prefixes_in(handlers: &[&HandlerSpec], env: &Env) -> Result<(), PrefixOverlap> {
    // Every (handler, physical name, prefix) of every table, then of every bucket, then every
    // (handler, name rule) of every secrets, parameters and queues declaration.
    let mut tables = Vec::new();
    let mut buckets = Vec::new();
    let mut named = Vec::new();
    for h in handlers {
        for (t, name) in h.tables().iter().zip(h.table_names_in(env)) {
            tables.push((h, name, &t.keys));
        }
        for (b, name) in h.buckets().iter().zip(h.bucket_names_in(env)) {
            buckets.push((h, name, &b.objects));
        }
        // A shared queue under the name its variable binds, as `claim` places it: bound to
        // `jobs-all`, it is tenant `all`'s own queue under another handler's `jobs-`, though its
        // declared name is no one's. The producer's and the consumer's functions are two
        // processes, whose claims never meet; this check (at start-up over the linked handlers,
        // and the audit's with the deployment's variables) is what sees the pair.
        let mut queues = h.queue_names_in(env).into_iter();
        for n in h.model().named.iter() {
            let rule = match (n.names.as_shared(), n.names.is_shared().then(|| queues.next()).flatten()) {
                (Some(shared), Some(name)) => Cow::Owned(NameRule::shared(SharedQueue {
                    queue: PhysicalName::Fixed(Cow::Owned(name)),
                    tenant_attribute: shared.tenant_attribute.clone(),
                })),
                _ => Cow::Borrowed(&n.names),
            };
            named.push((h, rule));
        }
    }
    let overlap = |kind, a: (&&HandlerSpec, &String, &str), b: (&&HandlerSpec, &String, &str)| PrefixOverlap {
        kind,
        table: a.1.as_str().into(),
        first: a.0.name().into(),
        first_prefix: a.2.into(),
        second: b.0.name().into(),
        second_prefix: b.2.into(),
    };
    for (i, (h, name, rule)) in tables.iter().enumerate() {
        if let Some((g, _, other)) = tables[i + 1..].iter().find(|(_, n, r)| n == name && rule.overlaps(r)) {
            return Err(overlap(ResourceKind::Table, (h, name, rule.prefix()), (g, name, other.prefix())));
        }
    }
    for (i, (h, name, rule)) in buckets.iter().enumerate() {
        if let Some((g, _, other)) = buckets[i + 1..].iter().find(|(_, n, r)| n == name && rule.overlaps(r)) {
            return Err(overlap(ResourceKind::Bucket, (h, name, rule.prefix()), (g, name, other.prefix())));
        }
    }
    // Names are the account's, per service: no physical name to compare.
    let here = THIS_ACCOUNT.to_owned();
    for (i, (h, rule)) in named.iter().enumerate() {
        let overlapping =
            |(_, r): &&(&&HandlerSpec, Cow<'_, NameRule>)| TenantRule::Names(rule).overlaps(TenantRule::Names(r));
        if let Some((g, other)) = named[i + 1..].iter().find(overlapping) {
            let kind = ResourceKind::Names(rule.service());
            // A shared queue is named by its queue (`TenantRule::prefix`): its rule has no prefix.
            let (first, second) = (TenantRule::Names(rule).prefix(), TenantRule::Names(other).prefix());
            return Err(overlap(kind, (h, &here, first), (g, &here, second)));
        }
    }
    Ok(())
}

/// Every key rule served in this process, on which physical table or bucket: one registry per
/// process, not per [`Isolation`](crate::Isolation). Two runtimes in one process (a router's
/// `TenantLayer::new(iso)` beside `Isolation::global()`, or two `IsolationBuilder::build()`s)
/// reach one table through one execution role: with `TENANT#` served by one and `TENANT#ORG#`
/// by the other, tenant `ORG` of the first reads `TENANT#ORG#acme`, acme's item under the
/// second (issue 24). A check per runtime never sees the pair.
static CLAIMS: Mutex<Vec<Claim>> = Mutex::new(Vec::new());

/// One key rule served on one physical resource, by the policy client `owner`.
struct Claim {
    owner: u64,
    kind: ResourceKind,
    /// What names the resource on AWS: `arn:<partition>:dynamodb:<region>:<account>:table/<name>`,
    /// `arn:<partition>:s3:::<bucket>`; for names, the service in an account and region,
    /// `arn:<partition>:secretsmanager:<region>:<account>` (secrets, parameters and queues are
    /// named in one namespace per service, account and region).
    ///
    /// Not the endpoint, on purpose: the endpoint is how a request reaches a table, not which
    /// table it is. VPC interface endpoints, FIPS and dual-stack endpoints (or an
    /// `AWS_ENDPOINT_URL` that names any of them) reach the same table for the same ARN, so two
    /// runtimes differing only in their endpoint must still be refused. The price is paid by
    /// emulators only: two mock servers in one process with the same table name, account and
    /// region count as one table, so tests that serve overlapping prefixes side by side give the
    /// table a name of their own.
    resource: String,
    /// The physical name, for the error.
    name: String,
    handler: &'static HandlerSpec,
    rule: Rule,
}

/// A claim's rule: the spec's own, or (a shared queue's) the rule with the name it is placed
/// under, which only the placement knows.
enum Rule {
    Declared(TenantRule<'static>),
    Placed(NameRule),
}

impl Rule {
    fn get(&self) -> TenantRule<'_> {
        match self {
            Rule::Declared(rule) => *rule,
            Rule::Placed(names) => TenantRule::Names(names),
        }
    }
}

/// The claims of one policy client on its tables and buckets, held while the client lives (its
/// runtime, or a scope, keeps it) and given up when it is dropped: a runtime that is gone serves
/// nothing, and tests build and drop many.
pub(crate) struct Claims {
    owner: u64,
}

impl Drop for Claims {
    fn drop(&mut self) {
        CLAIMS.lock().unwrap_or_else(PoisonError::into_inner).retain(|c| c.owner != self.owner);
    }
}

/// Claims every table and bucket of `spec` as `placement` binds them, and its secrets',
/// parameters' and queues' names in `placement`'s account and region, or refuses the first
/// rule that overlaps one already served in this process (by any runtime, or by `spec` itself)
/// on the same physical resource or namespace. The same rule on the same resource is no overlap: runtimes
/// built side by side with the same handlers share it.
pub(crate) fn claim(spec: &'static HandlerSpec, placement: &Placement) -> Result<Claims, PrefixOverlap> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let owner = NEXT.fetch_add(1, Ordering::Relaxed);
    let partition = placement.partition().as_str();
    // The placement names each of the spec's tables and buckets, in declaration order.
    let tables = spec.tables().iter().zip(placement.tables()).enumerate().map(|(i, (t, name))| Claim {
        owner,
        kind: ResourceKind::Table,
        resource: placement.table_arn(i).unwrap_or_default(),
        name: name.clone(),
        handler: spec,
        rule: Rule::Declared(TenantRule::Keys(&t.keys)),
    });
    let buckets = spec.buckets().iter().zip(placement.buckets()).map(|(b, name)| Claim {
        owner,
        kind: ResourceKind::Bucket,
        resource: format!("arn:{partition}:s3:::{name}"),
        name: name.clone(),
        handler: spec,
        rule: Rule::Declared(TenantRule::Objects(&b.objects)),
    });
    // Secrets, parameters and queues: every declaration's rule on its service's names in the
    // deployment's account and region (no physical name: the rule alone names them). A shared
    // queue is claimed under the name it is placed under: a prefix of another handler's that
    // makes it a tenant's own queue (`jobs-` and the shared `jobs-all`: tenant `all` would
    // receive every tenant's messages), or another handler reading another attribute of it, is
    // refused.
    let mut queues = placement.queues().iter();
    let named = spec.model().named.iter().map(move |n| {
        let namespace =
            format!("arn:{partition}:{}:{}:{}", n.service().iam_prefix(), placement.region(), placement.account());
        let rule = match (n.names.as_shared(), n.names.is_shared().then(|| queues.next()).flatten()) {
            (Some(shared), Some(name)) => Rule::Placed(NameRule::shared(SharedQueue {
                queue: PhysicalName::Fixed(Cow::Owned(name.clone())),
                tenant_attribute: shared.tenant_attribute.clone(),
            })),
            _ => Rule::Declared(TenantRule::Names(&n.names)),
        };
        Claim {
            owner,
            kind: ResourceKind::Names(n.service()),
            resource: namespace.clone(),
            name: namespace,
            handler: spec,
            rule,
        }
    });
    let mut claims = CLAIMS.lock().unwrap_or_else(PoisonError::into_inner);
    let held = claims.len();
    for new in tables.chain(buckets).chain(named) {
        if let Some(old) = claims.iter().find(|c| c.resource == new.resource && c.rule.get().overlaps(new.rule.get())) {
            let overlap = PrefixOverlap {
                kind: new.kind,
                table: new.name.as_str().into(),
                first: old.handler.name().into(),
                first_prefix: old.rule.get().prefix().into(),
                second: spec.name().into(),
                second_prefix: new.rule.get().prefix().into(),
            };
            claims.truncate(held);
            return Err(overlap);
        }
        claims.push(new);
    }
    Ok(Claims { owner })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenant_isolation_core::{
        Action, BucketModel, Confinement, HandlerModel, KeyRule, NamedAction, NamedModel, ObjectAction, ObjectRule,
        Partition, TableModel,
    };

    /// A handler on `table` (keys under `key`) and, with `objects`, on `bucket` (objects under it).
    /// Every test here uses names of its own: the claims are the process's, and other unit tests
    /// run beside these.
    fn spec(table: &str, key: &'static str, bucket: Option<(&str, &'static str)>) -> &'static HandlerSpec {
        let tables = vec![TableModel {
            table: PhysicalName::Fixed(table.to_owned().into()),
            indexes: Cow::Borrowed(&[]),
            actions: Cow::Borrowed(&[Action::GetItem]),
            keys: KeyRule::new(key),
        }];
        let buckets: Vec<BucketModel> = bucket
            .map(|(name, prefix)| BucketModel {
                bucket: PhysicalName::Fixed(name.to_owned().into()),
                actions: Cow::Borrowed(&[ObjectAction::GetObject]),
                objects: ObjectRule::new(prefix),
            })
            .into_iter()
            .collect();
        let model = HandlerModel {
            tables: tables.into(),
            buckets: buckets.into(),
            named: Default::default(),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(format!("{key}{table}"), model).unwrap().leak()
    }

    fn placed(spec: &HandlerSpec, account: &str) -> Placement {
        let tables: Vec<&str> = spec.tables().iter().map(|t| t.table.declared()).collect();
        let buckets: Vec<&str> = spec.buckets().iter().map(|b| b.bucket.declared()).collect();
        Placement::new(Partition::Aws, "eu-west-1", account, &tables, &buckets).unwrap()
    }

    const ACCOUNT: &str = "123456789012";

    #[test]
    fn overlapping_key_rules_on_one_table_are_refused_while_the_first_is_held() {
        let wide = spec("ClaimsKeys", "TENANT#", None);
        let narrow = spec("ClaimsKeys", "TENANT#ORG#", None);
        let held = claim(wide, &placed(wide, ACCOUNT)).unwrap();
        let refused = claim(narrow, &placed(narrow, ACCOUNT)).err().expect("overlap");
        assert_eq!(
            (refused.kind, &*refused.table, &*refused.first_prefix, &*refused.second_prefix),
            (ResourceKind::Table, "ClaimsKeys", "TENANT#", "TENANT#ORG#")
        );
        // The same rule again (another runtime with the same handlers) is no overlap.
        let twin = claim(wide, &placed(wide, ACCOUNT)).unwrap();
        // Another account's table of the same name is another table.
        drop(claim(narrow, &placed(narrow, "210987654321")).unwrap());
        drop(held);
        assert!(claim(narrow, &placed(narrow, ACCOUNT)).is_err(), "the twin still holds `TENANT#`");
        drop(twin);
        let _narrow = claim(narrow, &placed(narrow, ACCOUNT)).expect("given up when the clients are dropped");
        assert!(claim(wide, &placed(wide, ACCOUNT)).is_err(), "either order");
    }

    /// A handler with one declaration of names of `service` under `prefix` (and no table).
    fn named(name: &str, service: Service, prefix: &str) -> &'static HandlerSpec {
        let action = NamedAction::of(service).next().unwrap();
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: vec![NamedModel {
                name: Cow::Borrowed("names"),
                actions: vec![action].into(),
                names: NameRule::owned(service, prefix),
            }]
            .into(),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(name, model).unwrap().leak()
    }

    fn region(region: &str, account: &str) -> Placement {
        Placement::new(Partition::Aws, region, account, &[], &[]).unwrap()
    }

    #[test]
    fn overlapping_name_rules_of_one_service_are_refused_in_one_account_and_region() {
        // Tenant `ORG` of `claims-secrets/` owns every secret `claims-secrets/ORG/…` of the other.
        let wide = named("claims_wide", Service::SecretsManager, "claims-secrets/");
        let narrow = named("claims_narrow", Service::SecretsManager, "claims-secrets/ORG/");
        let held = claim(wide, &region("eu-west-1", ACCOUNT)).unwrap();
        let refused = claim(narrow, &region("eu-west-1", ACCOUNT)).err().expect("overlap");
        assert_eq!(
            (refused.kind, &*refused.table, &*refused.first_prefix, &*refused.second_prefix),
            (
                ResourceKind::Names(Service::SecretsManager),
                "arn:aws:secretsmanager:eu-west-1:123456789012",
                "claims-secrets/",
                "claims-secrets/ORG/"
            )
        );
        assert!(
            refused.to_string().contains("the secret names of `arn:aws:secretsmanager:eu-west-1:123456789012`"),
            "{refused}"
        );
        // The same rule again (another runtime with the same handlers) is no overlap.
        drop(claim(wide, &region("eu-west-1", ACCOUNT)).unwrap());
        // Another region's or another account's secrets are other names.
        drop(claim(narrow, &region("eu-central-1", ACCOUNT)).unwrap());
        drop(claim(narrow, &region("eu-west-1", "210987654321")).unwrap());
        // Parameters are another service's names, whatever their prefix.
        let parameters = named("claims_parameters", Service::Ssm, "/claims-secrets/");
        drop(claim(parameters, &region("eu-west-1", ACCOUNT)).unwrap());
        drop(held);
        let _narrow = claim(narrow, &region("eu-west-1", ACCOUNT)).expect("given up when the clients are dropped");
        assert!(claim(wide, &region("eu-west-1", ACCOUNT)).is_err(), "either order");
    }

    #[test]
    fn handlers_linked_together_may_not_declare_overlapping_names() {
        let wide = named("linked_wide", Service::Ssm, "/linked/");
        let narrow = named("linked_narrow", Service::Ssm, "/linked/ORG/");
        let refused = check_prefixes_in(&[wide, narrow], &Env::from_fn(|_| None)).expect_err("overlap");
        assert_eq!(
            (refused.kind, &*refused.first, &*refused.second),
            (ResourceKind::Names(Service::Ssm), "linked_wide", "linked_narrow")
        );
        let apart = named("linked_apart", Service::Ssm, "/linked-apart/");
        assert_eq!(check_prefixes_in(&[wide, apart], &Env::from_fn(|_| None)), Ok(()));
        // One handler twice (its spec registered and prepared) is no overlap.
        assert_eq!(check_prefixes_in(&[wide, wide], &Env::from_fn(|_| None)), Ok(()));
    }

    /// A shared queue is compared under the name its variable binds, as [`claim`] compares it:
    /// bound to `linkedjobs-all`, tenant `all` of another handler's `linkedjobs-` would receive
    /// every tenant's messages. The producer's function links the consumer's handler but never serves
    /// it (the consumer runs in another function, another process), so no claim sees the pair:
    /// only this check at start-up, and the audit's (`policies role`, `policies render`), which
    /// run it with the deployment's variables.
    #[test]
    fn linked_handlers_compare_a_shared_queue_under_its_bound_name() {
        let events = named_by_rule(
            "linked_shared_events",
            NameRule::shared(SharedQueue {
                queue: PhysicalName::FromEnv { var: "LINKED_EVENTS".into(), default: "linkedq-declared".into() },
                tenant_attribute: "tenant_id".into(),
            }),
        );
        let jobs = named_by_rule("linked_shared_jobs", NameRule::new(Service::Sqs, "linkedq-"));
        // Declared, `linkedq-declared` is tenant `declared`'s queue: refused as it was.
        assert!(check_prefixes_in(&[jobs, events], &Env::from_fn(|_| None)).is_err());
        let bound = |queue: &'static str| Env::from_fn(move |v| (v == "LINKED_EVENTS").then(|| queue.to_owned()));
        let jobs = named_by_rule("linked_shared_jobs_2", NameRule::new(Service::Sqs, "linkedjobs-"));
        assert_eq!(check_prefixes_in(&[jobs, events], &bound("linkedq-elsewhere")), Ok(()));
        let refused = check_prefixes_in(&[jobs, events], &bound("linkedjobs-all")).expect_err("tenant `all`'s queue");
        assert_eq!(
            (refused.kind, &*refused.first_prefix, &*refused.second_prefix),
            (ResourceKind::Names(Service::Sqs), "linkedjobs-", "linkedjobs-all")
        );
        // Two producers reading different attributes, bound to one queue by two variables.
        let other = named_by_rule(
            "linked_shared_other",
            NameRule::shared(SharedQueue {
                queue: PhysicalName::FromEnv { var: "LINKED_OTHER".into(), default: "linkedq-other".into() },
                tenant_attribute: "tenant".into(),
            }),
        );
        let both = Env::from_fn(|v| matches!(v, "LINKED_EVENTS" | "LINKED_OTHER").then(|| "linkedq-one".to_owned()));
        assert!(check_prefixes_in(&[events, other], &both).is_err(), "one queue, two attributes");
        assert_eq!(check_prefixes_in(&[events, other], &Env::from_fn(|_| None)), Ok(()), "two queues");
    }

    #[test]
    fn overlapping_object_rules_on_one_bucket_are_refused_and_a_refusal_claims_nothing() {
        // Tenant `tenants` of the prefix `""` owns every `tenants/…` object.
        let root = spec("ClaimsRootTable", "TENANT#", Some(("claims-bucket", "")));
        let folder = spec("ClaimsFolderTable", "TENANT#", Some(("claims-bucket", "tenants/")));
        let _held = claim(root, &placed(root, ACCOUNT)).unwrap();
        let refused = claim(folder, &placed(folder, ACCOUNT)).err().expect("overlap");
        assert_eq!(
            (refused.kind, &*refused.table, &*refused.first_prefix, &*refused.second_prefix),
            (ResourceKind::Bucket, "claims-bucket", "", "tenants/")
        );
        // The refused handler's table claim (made before its bucket's was refused) was not kept.
        let other = spec("ClaimsFolderTable", "TENANT#ORG#", None);
        drop(claim(other, &placed(other, ACCOUNT)).expect("no claim left behind by the refusal"));
    }

    /// A handler with one declaration of names under `rule` (its first action; a shared queue's
    /// `SendMessage`).
    fn named_by_rule(handler: &str, rule: NameRule) -> &'static HandlerSpec {
        let first = NamedAction::of(rule.service()).next().unwrap();
        let action = if rule.is_shared() { NamedAction::SendMessage } else { first };
        let declaration = NamedModel { name: Cow::Borrowed("names"), actions: vec![action].into(), names: rule };
        let model = HandlerModel {
            tables: Cow::Borrowed(&[]),
            buckets: Cow::Borrowed(&[]),
            named: vec![declaration].into(),
            confinement: Confinement::SessionPolicy,
        };
        HandlerSpec::new(handler, model).unwrap().leak()
    }

    #[test]
    fn overlapping_queue_prefixes_in_one_account_and_region_are_refused() {
        // Tenant `high-acme` of `claimsq-` owns `claimsq-high-acme`, tenant acme's queue of
        // `claimsq-high-`.
        let wide = named_by_rule("claims_queues_wide", NameRule::new(Service::Sqs, "claimsq-"));
        let narrow = named_by_rule("claims_queues_narrow", NameRule::new(Service::Sqs, "claimsq-high-"));
        let held = claim(wide, &placed(wide, ACCOUNT)).unwrap();
        let refused = claim(narrow, &placed(narrow, ACCOUNT)).err().expect("overlap");
        assert_eq!(
            (refused.kind, &*refused.table, &*refused.first_prefix, &*refused.second_prefix),
            (ResourceKind::Names(Service::Sqs), "arn:aws:sqs:eu-west-1:123456789012", "claimsq-", "claimsq-high-")
        );
        assert!(refused.to_string().contains("the queue names of `arn:aws:sqs:eu-west-1:123456789012`"), "{refused}");
        // The same rule again is no overlap; another account's queues are other queues.
        drop(claim(wide, &placed(wide, ACCOUNT)).unwrap());
        drop(claim(narrow, &placed(narrow, "210987654321")).unwrap());
        // Another service's names are another namespace, whatever their prefix.
        let secrets = named_by_rule("claims_secrets", NameRule::new(Service::SecretsManager, "claimsq-high-/"));
        drop(claim(secrets, &placed(secrets, ACCOUNT)).unwrap());
        drop(held);
        let _narrow = claim(narrow, &placed(narrow, ACCOUNT)).expect("given up with the first");
        assert!(claim(wide, &placed(wide, ACCOUNT)).is_err(), "either order");
    }

    /// A shared queue is claimed under the name it is placed under: another handler's prefix
    /// under which that name is a tenant's own queue, or another attribute read on it, is refused;
    /// another producer of the same queue and attribute is not.
    #[test]
    fn a_shared_queue_is_claimed_under_its_placed_name() {
        let shared = |handler: &str, var: &'static str, attribute: &'static str| {
            named_by_rule(
                handler,
                NameRule::shared(SharedQueue {
                    queue: PhysicalName::FromEnv { var: var.into(), default: "claimsshared-declared".into() },
                    tenant_attribute: attribute.into(),
                }),
            )
        };
        let place = |spec: &HandlerSpec, queue: &str| placed(spec, ACCOUNT).with_queues(&[queue]).unwrap();
        let events = shared("claims_shared_events", "CLAIMS_EVENTS", "tenant_id");
        let held = claim(events, &place(events, "claimsshared-all")).unwrap();
        // Tenant `all` of `claimsshared-` would receive every tenant's messages.
        let jobs = named_by_rule("claims_shared_jobs", NameRule::new(Service::Sqs, "claimsshared-"));
        let refused = claim(jobs, &placed(jobs, ACCOUNT)).err().expect("the shared queue is a tenant's own");
        assert_eq!((&*refused.first_prefix, &*refused.second_prefix), ("claimsshared-all", "claimsshared-"));
        // Placed elsewhere, the same declaration owns nothing of the prefix's.
        drop(held);
        let held = claim(events, &place(events, "claimssharedother")).unwrap();
        drop(claim(jobs, &placed(jobs, ACCOUNT)).expect("another name"));
        // Another producer of the queue with the same attribute shares it; another attribute
        // would let a consumer trust what its guard never checked.
        let twin = shared("claims_shared_twin", "CLAIMS_TWIN", "tenant_id");
        drop(claim(twin, &place(twin, "claimssharedother")).expect("the same queue and attribute"));
        let other = shared("claims_shared_other", "CLAIMS_OTHER", "tenant");
        assert!(claim(other, &place(other, "claimssharedother")).is_err(), "another attribute");
        drop(claim(other, &place(other, "claimssharedthird")).expect("another queue"));
        drop(held);
    }
}
