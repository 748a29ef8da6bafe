//! Compile-time behaviour of `#[tenant_isolated]`: what compiles, and the exact error for
//! what must not. Regenerate with `TRYBUILD=overwrite cargo test -p tenant-isolation-ui-tests`
//! and read every `.stderr` diff (see `ui-tests/README.md`).

// The `.stderr` files are rustc's exact output, which changes between releases: they are
// generated with, and checked on, Rust 1.95, the toolchain of the machines CI runs on.
// Elsewhere the test is skipped (with its reason) rather than failing on wording.
#[rustversion::attr(not(stable(1.95)), ignore = "the .stderr files are generated with Rust 1.95")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();

    t.pass("tests/pass/minimal.rs");
    t.pass("tests/pass/index_query.rs");
    t.pass("tests/pass/key_prefix.rs");
    t.pass("tests/pass/table_env.rs");
    t.pass("tests/pass/data_layer.rs");
    t.pass("tests/pass/lambda_event_v2.rs");
    t.pass("tests/pass/crate_override.rs");
    t.pass("tests/pass/transact_write.rs");
    t.pass("tests/pass/session_tags.rs");
    t.pass("tests/pass/axum_router.rs");
    t.pass("tests/pass/several_tables.rs");
    t.pass("tests/pass/capabilities_agree_with_spec.rs");
    t.pass("tests/pass/record_handlers.rs");

    // Actions that cannot be confined to one tenant.
    t.compile_fail("tests/fail/scan.rs");
    t.compile_fail("tests/fail/wildcard.rs");
    t.compile_fail("tests/fail/wildcard_prefix.rs");
    t.compile_fail("tests/fail/admin_action.rs");
    t.compile_fail("tests/fail/transact_write_items.rs");
    t.compile_fail("tests/fail/execute_statement.rs");
    t.compile_fail("tests/fail/unknown_action_suggestion.rs");
    t.compile_fail("tests/fail/unknown_action.rs");
    t.compile_fail("tests/fail/duplicate_action.rs");
    t.compile_fail("tests/fail/empty_actions.rs");

    // Arguments and the policy they build.
    t.compile_fail("tests/fail/missing_table.rs");
    t.compile_fail("tests/fail/unknown_argument.rs");
    t.compile_fail("tests/fail/several_argument_errors.rs");
    t.compile_fail("tests/fail/indexes_without_query.rs");
    t.compile_fail("tests/fail/bad_key_prefix.rs");
    t.compile_fail("tests/fail/key_prefix_without_separator.rs");
    t.compile_fail("tests/fail/oversized_policy.rs");
    t.compile_fail("tests/fail/bad_session_tag.rs");

    // Several tables and buckets.
    t.compile_fail("tests/fail/table_parameters.rs");
    t.compile_fail("tests/fail/table_and_tables.rs");
    t.compile_fail("tests/fail/oversized_several_tables.rs");
    t.compile_fail("tests/fail/bucket_actions.rs");
    t.compile_fail("tests/fail/buckets_need_the_s3_feature.rs");
    t.compile_fail("tests/fail/named_need_their_features.rs");

    // Secrets, parameters and queues.
    t.compile_fail("tests/fail/named_actions.rs");
    t.compile_fail("tests/fail/named_parameters.rs");
    t.compile_fail("tests/fail/named_overlap.rs");
    t.compile_fail("tests/fail/named_kms_key.rs");

    // The handler's shape.
    t.compile_fail("tests/fail/not_async.rs");
    t.compile_fail("tests/fail/self_receiver.rs");
    t.compile_fail("tests/fail/wrong_arity.rs");
    t.compile_fail("tests/fail/event_not_tenant_event.rs");
    t.compile_fail("tests/fail/bare_payload_event.rs");
    t.compile_fail("tests/fail/return_not_result.rs");
    t.compile_fail("tests/fail/http_output_without_status.rs");
    t.compile_fail("tests/fail/axum_extractor_without_axum.rs");
    t.compile_fail("tests/fail/axum_extractors_without_axum.rs");
    t.compile_fail("tests/fail/record_source_arguments.rs");
    t.compile_fail("tests/fail/record_of_another_source.rs");

    // Operations the handler did not declare.
    t.compile_fail("tests/fail/undeclared_operation.rs");
    t.compile_fail("tests/fail/undeclared_in_data_layer.rs");
    t.compile_fail("tests/fail/undeclared_transact_write_item.rs");
    t.compile_fail("tests/fail/allows_by_hand.rs");
    t.compile_fail("tests/fail/undeclared_in_axum_handler.rs");
    t.compile_fail("tests/fail/undeclared_on_other_table.rs");
    t.compile_fail("tests/fail/forged_capability.rs");
    t.compile_fail("tests/fail/undeclared_in_record_handler.rs");
}
