//! How statements are written: the policy document's JSON, compact or indented.

use super::statement::{Condition, Statement};

/// How a document names its statements.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sids {
    /// `"Sid": "TenantItems"`, …: the role policies, read by people in the IAM console and
    /// under no size limit that matters.
    Written,
    /// No `Sid`: the session policies, where every character counts against STS's limit. A
    /// `Sid` is optional and plays no part in evaluation (IAM User Guide, "IAM JSON policy
    /// elements: Sid": "The Sid element is optional"; it is "a description for the policy
    /// statement").
    Omitted,
}

/// `{"Version": "2012-10-17", "Statement": [...]}`.
pub(super) fn write_document(statements: &[Statement], pretty: bool, sids: Sids) -> String {
    let mut w = JsonWriter { out: String::new(), pretty, depth: 0 };
    w.open('{');
    w.key("Version");
    w.string("2012-10-17");
    w.comma();
    w.key("Statement");
    w.open('[');
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            w.comma();
        }
        s.write(&mut w, sids);
    }
    w.close(']');
    w.close('}');
    w.out
}

impl Statement {
    fn write(&self, w: &mut JsonWriter, sids: Sids) {
        w.open('{');
        if sids == Sids::Written {
            w.key("Sid");
            w.string(&self.sid);
            w.comma();
        }
        w.key("Effect");
        w.string("Allow");
        w.comma();
        w.key("Action");
        w.string_array(self.actions.iter().map(|a| a.as_ref()));
        w.comma();
        w.key("Resource");
        w.string_array(self.resources.iter().map(String::as_str));
        match &self.condition {
            Condition::None => {}
            Condition::ListPrefix(pattern) => {
                w.comma();
                w.key("Condition");
                w.open('{');
                w.key("StringLike");
                w.open('{');
                w.key("s3:prefix");
                w.string_array([pattern.as_str()].into_iter());
                w.close('}');
                w.close('}');
            }
            Condition::EncryptionContext { key, patterns } => {
                // `StringLike` on a single-valued key: absent (a request without that context
                // entry), it does not match, so the statement does not apply (IAM User Guide,
                // "Condition operator to check existence of condition keys").
                w.comma();
                w.key("Condition");
                w.open('{');
                w.key("StringLike");
                w.open('{');
                w.key(&format!("kms:EncryptionContext:{key}"));
                w.string_array(patterns.iter().map(String::as_str));
                w.close('}');
                w.close('}');
            }
            Condition::LeadingKeys(patterns) => {
                w.comma();
                // Three conditions on `dynamodb:LeadingKeys`, a multivalued key (IAM User Guide,
                // "Single-valued vs. multivalued context keys", set operators):
                //
                // - `ForAllValues:StringLike`: every key of the request is the tenant's. Alone it is
                //   also true when the request has no key ("It also returns true if there are no
                //   context keys in the request"): a Scan would pass.
                // - `ForAnyValue:StringLike` on `*`: at least one key is present, so the set is
                //   neither absent nor empty. Evaluators differ on whether an empty set is "null":
                //   iam-simulate 0.1.173 treats `"dynamodb:LeadingKeys": []` as present, and
                //   `ForAllValues` + `Null: false` alone ALLOWED it (tests/policy/prove.mjs, group
                //   `empty-key`). `ForAnyValue` is false for an absent and for an empty set alike
                //   ("If the key is not present in the request ... ForAnyValue returns false").
                //   Its pattern is `*`, not the tenant's patterns again: beside `ForAllValues`
                //   ("every key is the tenant's") the two say the same ("some key is present" and
                //   every key is the tenant's ⇔ some key is the tenant's and every key is), and
                //   `*` costs 5 characters where the patterns cost up to 150 for a 64-character
                //   tenant id (issue 25: a secret and a parameter must fit beside two tables and a
                //   bucket). The proof runs every case against this form, and its mutant
                //   `for-any-value-on-patterns` (the old form) must change no decision.
                // - `Null: false`: the key is present; the remedy the IAM User Guide gives for
                //   missing keys ("Multivalued context key examples"; "Condition operator to check
                //   existence of condition keys"). Under iam-simulate it is redundant next to
                //   `ForAnyValue` (the proof's mutant `no-null-guard` changes no decision, and the
                //   proof checks that it stays so), but it is kept: how an evaluator reads an empty
                //   set is exactly what differs between evaluators, and with two independent guards
                //   one evaluator's quirk is not enough. It costs 40 characters.
                w.key("Condition");
                w.open('{');
                w.key("ForAllValues:StringLike");
                w.open('{');
                w.key("dynamodb:LeadingKeys");
                w.string_array(patterns.iter().map(String::as_str));
                w.close('}');
                w.comma();
                w.key("ForAnyValue:StringLike");
                w.open('{');
                w.key("dynamodb:LeadingKeys");
                w.string_array(["*"].into_iter());
                w.close('}');
                w.comma();
                w.key("Null");
                w.open('{');
                w.key("dynamodb:LeadingKeys");
                w.string("false");
                w.close('}');
                w.close('}');
            }
        }
        w.close('}');
    }
}

/// A tiny writer for the fixed policy shape. Every string it writes is one of ours or a
/// validated name, none of which needs escaping (checked by a debug assertion).
struct JsonWriter {
    out: String,
    pretty: bool,
    depth: usize,
}

impl JsonWriter {
    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }
    fn open(&mut self, c: char) {
        self.out.push(c);
        self.depth += 1;
        self.newline();
    }
    fn close(&mut self, c: char) {
        self.depth -= 1;
        self.newline();
        self.out.push(c);
    }
    fn comma(&mut self) {
        self.out.push(',');
        self.newline();
    }
    fn string(&mut self, s: &str) {
        debug_assert!(!s.contains(['"', '\\']) && !s.contains(char::is_control));
        self.out.push('"');
        self.out.push_str(s);
        self.out.push('"');
    }
    fn key(&mut self, k: &str) {
        self.string(k);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }
    fn string_array<'a>(&mut self, items: impl Iterator<Item = &'a str>) {
        self.out.push('[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.out.push(',');
                if self.pretty {
                    self.out.push(' ');
                }
            }
            self.string(item);
        }
        self.out.push(']');
    }
}
