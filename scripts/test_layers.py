#!/usr/bin/env python3
"""Unit tests of scripts/layers.py on small crates written to a temporary directory.

Run: PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s scripts -p 'test_layers.py'   (scripts/test.sh does)
"""
import contextlib
import io
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layers  # noqa: E402

# Three layers: `a` on top (a leaf), then `b, c`, then `d`; `lib` below them all.
LAYERS = """\
// The modules in layers, each importing only those above it in this list:
//
//   a                 the leaf
//   b, c              one line, two modules;
//                     the description goes on here
//   d                 the bottom module
"""

LIB = LAYERS + """\
mod a;
mod b;
mod c;
#[cfg(feature = "web")]
pub mod d;

pub use b::Thing;
pub use a::{Leaf, Other as Renamed};

/// Defined in the crate root.
pub struct RootItem;

#[doc(hidden)]
pub mod __private {
    pub use crate::b::Inner;
    pub struct Own;
}
"""

BASE = {
    'a.rs': 'pub struct Leaf;\npub struct Other;\n',
    'b.rs': 'pub struct Thing;\npub struct Inner;\npub struct Y;\n',
    'c.rs': 'pub struct X;\n',
    'd.rs': 'use crate::a::Leaf;\nuse crate::b::Thing;\n',
}


class LayersTest(unittest.TestCase):
    def run_check(self, files, lib=LIB):
        """Writes a crate (BASE with `files` over it) and runs layers.py: (exit code, output)."""
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        src = os.path.join(tmp.name, 'src')
        for name, text in {**BASE, 'lib.rs': lib, **files}.items():
            if text is None:
                continue
            path = os.path.join(src, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(textwrap.dedent(text))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = layers.main(['layers.py', src])
        return code, (out.getvalue() + err.getvalue()).replace(src + os.sep, '')

    def assert_violation(self, files, expected):
        code, out = self.run_check(files)
        self.assertEqual(code, 1, out)
        self.assertIn(expected, out)

    # ---- passes

    def test_downward_imports_pass(self):
        code, out = self.run_check({})
        self.assertEqual(code, 0, out)
        self.assertEqual(out, 'layers ok: 4 modules in 3 layers, 2 imports checked\n')

    def test_same_line_one_way_and_the_crate_root_pass(self):
        code, out = self.run_check({
            'b.rs': 'pub struct Thing;\npub struct Inner;\nuse crate::c::X;\nuse crate::Leaf;\n',
            'd.rs': 'fn f() -> crate::RootItem { crate::RootItem }\n',
        })
        self.assertEqual(code, 1, out)  # d imports lib: lib is the bottom layer
        self.assertIn('d.rs:1: d (layer 3) imports lib (layer 4) through `crate::RootItem`', out)
        self.assertNotIn('b.rs:', out)

    def test_comments_strings_and_other_crates_are_not_imports(self):
        code, out = self.run_check({'a.rs': '''\
            //! See [`crate::b::Thing`].
            /* crate::b::Y */
            /// crate::c::X
            pub struct Leaf;
            pub struct Other;
            const S: &str = "crate::b::Y";
            const R: &str = r#"use crate::b::Y;"#;
            const Q: char = '"';
            fn f<'a>(x: &'a str) -> &'a str { x }
            use std::fmt::Debug;
            use ::b::Y;
            '''})
        self.assertEqual(code, 0, out)

    # ---- violations

    def test_upward_use_is_reported(self):
        self.assert_violation({'a.rs': 'pub struct Leaf;\npub struct Other;\n\nuse crate::b::Y;\n'},
                              'a.rs:4: a (layer 1) imports b (layer 2) through `crate::b::Y`')

    def test_upward_path_in_code_is_reported(self):
        self.assert_violation({'a.rs': 'pub struct Leaf;\npub struct Other;\nfn f() { let _ = crate::d::g(); }\n'},
                              'a.rs:3: a (layer 1) imports d (layer 3) through `crate::d::g`')

    def test_upward_through_a_root_reexport_is_reported(self):
        self.assert_violation({'a.rs': 'pub struct Leaf;\npub struct Other;\nfn f(_: crate::Thing) {}\n'},
                              'a.rs:3: a (layer 1) imports b (layer 2) through `crate::Thing`')

    def test_upward_through_private_is_reported(self):
        code, out = self.run_check({'c.rs': '''\
            use crate::__private::Inner;
            use crate::__private::Own;
            '''})
        self.assertEqual(code, 1, out)
        self.assertIn('c.rs:2: c (layer 2) imports lib (layer 4) through `crate::__private::Own`', out)
        self.assertNotIn('c.rs:1:', out)  # Inner is b's: same line, allowed
        self.assert_violation({'a.rs': 'pub struct Leaf;\npub struct Other;\nuse crate::__private::Inner;\n'},
                              'a.rs:3: a (layer 1) imports b (layer 2) through `crate::__private::Inner`')

    def test_upward_in_a_grouped_use_is_reported(self):
        self.assert_violation({'b.rs': '''\
            pub struct Thing;
            pub struct Inner;
            use crate::{
                a::Leaf,
                d::{self, Z},
            };
            '''}, 'b.rs:3: b (layer 2) imports d (layer 3) through `crate::d`')

    def test_super_to_the_crate_root_is_reported(self):
        code, out = self.run_check({
            'a.rs': None,
            'a/mod.rs': 'mod inner;\npub struct Leaf;\npub struct Other;\nuse super::a::Leaf as L;\n',
            'a/inner.rs': 'use super::Leaf;\nuse super::super::c::X;\n',
        })
        self.assertEqual(code, 1, out)
        self.assertIn('a/inner.rs:2: a (layer 1) imports c (layer 2) through `crate::c::X`', out)
        self.assertEqual(out.count('imports'), 1, out)

    def test_a_cycle_within_a_line_is_reported(self):
        code, out = self.run_check({
            'b.rs': 'pub struct Thing;\npub struct Inner;\nuse crate::c::X;\n',
            'c.rs': 'pub struct X;\nfn f(_: crate::Thing) {}\n',
        })
        self.assertEqual(code, 1, out)
        self.assertIn('b.rs:3: b (layer 2) imports c (layer 2) through `crate::c::X`, in a cycle b → c → b', out)
        self.assertIn('c.rs:2: c (layer 2) imports b (layer 2) through `crate::Thing`, in a cycle', out)

    def test_a_feature_gated_module_is_checked(self):
        self.assert_violation({'a.rs': 'pub struct Leaf;\npub struct Other;\nuse crate::d;\n'},
                              'a.rs:3: a (layer 1) imports d (layer 3)')

    # ---- test-only code is not read

    def test_test_only_code_is_ignored(self):
        code, out = self.run_check({
            'a.rs': None,
            'a/mod.rs': '''\
                pub struct Leaf;
                pub struct Other;
                #[cfg(test)]
                mod tests;
                #[cfg(test)]
                mod helpers;
                #[cfg(test)]
                #[test]
                fn inline() { let _ = crate::d::g(); }
                #[cfg(test)]
                mod more {
                    use crate::b::Y;
                }
                pub fn after() {}
                ''',
            'a/tests.rs': 'use crate::b::Y;\nmod deeper;\n',
            'a/tests/deeper.rs': 'use crate::c::X;\n',
            'a/helpers.rs': 'use crate::Thing;\n',
        })
        self.assertEqual(code, 0, out)
        # Test files by their names alone (a `cfg` that is not just `test` declares them).
        code, out = self.run_check({
            'a.rs': None,
            'a/mod.rs': 'pub struct Leaf;\npub struct Other;\n#[cfg(all(test, feature = "web"))]\nmod tests;\n',
            'a/tests.rs': 'use crate::b::Y;\nmod deeper;\n',
            'a/tests/deeper.rs': 'use crate::c::X;\n',
        })
        self.assertEqual(code, 0, out)
        # And the code after a test item is read again.
        code, out = self.run_check({
            'a.rs': '#[cfg(test)]\nmod tests {\n    use crate::b::Y;\n}\nuse crate::c::X;\n'})
        self.assertEqual(code, 1, out)
        self.assertIn('a.rs:5: a (layer 1) imports c (layer 2)', out)
        self.assertNotIn('a.rs:3', out)

    # ---- the list cannot rot

    def test_a_module_missing_from_the_list_fails_loudly(self):
        code, out = self.run_check({'e.rs': 'pub struct E;\n'})
        self.assertEqual(code, 2, out)
        self.assertIn('the layer list does not name module(s) e', out)
        code, out = self.run_check({'e/mod.rs': 'pub struct E;\n'})
        self.assertEqual(code, 2, out)
        self.assertIn('does not name module(s) e', out)

    def test_a_listed_module_that_does_not_exist_fails_loudly(self):
        code, out = self.run_check({'c.rs': None})
        self.assertEqual(code, 2, out)
        self.assertIn('the layer list names c, which src/ does not have', out)

    def test_no_or_malformed_list_fails_loudly(self):
        code, out = self.run_check({}, lib=LIB.replace('The modules in layers', 'Modules'))
        self.assertEqual(code, 2, out)
        self.assertIn('no comment block with "The modules in layers"', out)
        code, out = self.run_check({}, lib=LIB.replace('//   d                 the', '//   d the'))
        self.assertEqual(code, 2, out)
        self.assertIn('lib.rs:6: not a layer line', out)
        code, out = self.run_check({}, lib=LIB.replace('//   a    ', '//   b    '))
        self.assertEqual(code, 2, out)
        self.assertIn('`b` is listed twice', out)

    def test_an_unresolved_root_path_fails_loudly(self):
        code, out = self.run_check({'d.rs': 'use crate::Nowhere;\n'})
        self.assertEqual(code, 2, out)
        self.assertIn('d.rs:1: `crate::Nowhere` does not resolve', out)


if __name__ == '__main__':
    unittest.main()
