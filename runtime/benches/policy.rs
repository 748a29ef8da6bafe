//! Policy rendering and tenant-id validation: the per-tenant CPU work on an STS miss and on
//! every request. Target: well under 1 µs each.
//!
//! Each measurement sits next to its floor, measured in the same run:
//! * `render` against `template.to_owned()` — one allocation and copy of a string of the
//!   template's size, which any rendering has to do;
//! * `TenantId::parse` against `Box::<str>::from(s)` — the allocation and copy the parsed id
//!   owns.
//!
//! `cargo bench -p tenant-isolation --bench policy`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tenant_isolation_core::{
    Action, Confinement, HandlerModel, KeyRule, Partition, PhysicalName, Placement, TableModel, TenantId, render,
};

/// The orders example's `get_order` and `list_orders` policies.
fn templates() -> [(&'static str, String); 2] {
    let get_order = TableModel {
        table: PhysicalName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
        indexes: vec![].into(),
        actions: vec![Action::GetItem].into(),
        keys: KeyRule::default(),
    };
    let list_orders = TableModel {
        table: PhysicalName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
        indexes: vec!["ByStatus".into()].into(),
        actions: vec![Action::Query].into(),
        keys: KeyRule::default(),
    };
    let build = |s: &TableModel| {
        HandlerModel::one_table(s.clone(), Confinement::SessionPolicy).compile().expect("valid spec").template
    };
    [("get_order", build(&get_order)), ("list_orders+index", build(&list_orders))]
}

fn rendering(c: &mut Criterion) {
    let placement =
        Placement::new(Partition::Aws, "eu-west-1", "123456789012", &["Orders-prod"], &[]).expect("placement");
    let tenants = [("acme", "acme".to_owned()), ("64 chars", "t".repeat(64))];
    let mut group = c.benchmark_group("policy_render");
    for (name, template) in templates() {
        group.bench_with_input(BenchmarkId::new("floor: template.to_owned()", name), &template, |b, t| {
            b.iter(|| black_box(t.as_str()).to_owned())
        });
        for (label, id) in &tenants {
            let tenant = TenantId::parse(id).expect("valid id");
            let rendered = render(&template, &placement, &tenant);
            println!("{name}, tenant {label}: template {} chars, rendered {} chars", template.len(), rendered.len());
            group.bench_with_input(BenchmarkId::new(format!("render, tenant {label}"), name), &template, |b, t| {
                b.iter(|| render(black_box(t), black_box(&placement), black_box(&tenant)))
            });
        }
    }
    group.finish();
}

fn validation(c: &mut Criterion) {
    let inputs = [
        ("acme", "acme".to_owned()),
        ("tenant-0042", "tenant-0042".to_owned()),
        ("64 chars", "a".repeat(64)),
        ("refused: acme#x", "acme#x".to_owned()),
        ("refused: 10,000 chars", "a".repeat(10_000)),
    ];
    let mut group = c.benchmark_group("tenant_id");
    for (label, input) in &inputs {
        group.bench_with_input(BenchmarkId::new("floor: Box<str>::from", label), input, |b, s| {
            b.iter(|| Box::<str>::from(black_box(s.as_str())))
        });
        group.bench_with_input(BenchmarkId::new("TenantId::parse", label), input, |b, s| {
            b.iter(|| TenantId::parse(black_box(s.as_str())))
        });
    }
    group.finish();
}

criterion_group!(benches, rendering, validation);
criterion_main!(benches);
