#!/usr/bin/env python3
"""The runtime's module layers, checked against its imports.

Usage: layers.py CRATE_SRC_DIR    (scripts/test.sh runs `layers.py runtime/src`)

The layer list lives in ONE place: the comment block of CRATE_SRC_DIR/lib.rs that opens with
"The modules in layers". Each line of it is one layer, its module names separated by `,`, then
two or more spaces, then a description (a line indented further continues the description).
The first line is the top layer (a leaf: it imports no other module of the crate); `lib` (the
crate root's own items) is implicitly the bottom layer, below the last line.

The rule: a module may reference modules on earlier lines and on its own line, and modules of
one line may not reference each other in a cycle. A reference is any path into another module:
`use crate::a::X`, `crate::a::f()` in code, `crate::{a::X, b::Y}`, `super::…` that climbs to the
crate root, `$crate::…` in macros, and a path through the crate root (`crate::Name`,
`crate::__private::Name`) resolved to the module that lib.rs re-exports `Name` from, or to `lib`
when lib.rs defines it. Comments, doc comments, string and char literals, `#[cfg(test)]` items and
test-only files (`tests.rs`, anything under a `tests/` directory, a file declared by a
`#[cfg(test)] mod name;`) are not read.

Exit 0: `layers ok: …`. Exit 1: one line per violation, `path:line: a (layer i) imports b
(layer j) …`. Exit 2: the check itself cannot be trusted (no layer block, a module missing from
the list or listed but absent, a crate-root path that does not resolve), with the reason.

Python 3 standard library only; our own code (ideas from ../shared/tools/modcycles.py, which
only finds cycles and is not in this repository).
"""
import bisect
import os
import re
import sys

IDENT = r'[A-Za-z_][A-Za-z0-9_]*'
LAYER_MARKER = 'The modules in layers'


class Broken(Exception):
    """The check cannot run (exit 2)."""


# --------------------------------------------------------------------------------------------
# Lexing: comments and literals become spaces (newlines kept, so offsets and lines still hold).

def blank_non_code(text):
    out = list(text)
    n = len(text)
    i = 0

    def blank(a, b):
        for k in range(a, min(b, n)):
            if out[k] != '\n':
                out[k] = ' '

    def ident_before(k):
        return k > 0 and (text[k - 1].isalnum() or text[k - 1] == '_')

    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith('/*', i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith('/*', j):
                    depth, j = depth + 1, j + 2
                elif text.startswith('*/', j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in 'rb' and not ident_before(i) and (m := re.match(r'b?r(#*)"', text[i:i + 300])):
            end = text.find('"' + m.group(1), i + m.end())
            j = n if end < 0 else end + 1 + len(m.group(1))
            blank(i, j)
            i = j
        elif c == '"' or (c == 'b' and not ident_before(i) and text.startswith('b"', i)):
            j = i + (2 if c == 'b' else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'" or (c == 'b' and not ident_before(i) and text.startswith("b'", i)):
            # A char literal ('a', '\n', '\u{1F600}'); a lifetime ('a) is left alone.
            start = i + (1 if c == 'b' else 0)
            m = re.match(r"'(?:\\'|\\[^']{1,10}|[^'\\\n])'", text[start:start + 14])
            if m:
                blank(i, start + m.end())
                i = start + m.end()
            else:
                i += 1
        else:
            i += 1
    return ''.join(out)


def matching(code, open_at):
    """Offset just past the bracket that closes the one at `open_at`."""
    pairs = {'{': '}', '(': ')', '[': ']'}
    stack = []
    for k in range(open_at, len(code)):
        ch = code[k]
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch in ')]}':
            if stack and stack[-1] == ch:
                stack.pop()
            if not stack:
                return k + 1
    return len(code)


def item_end(code, start):
    """Offset just past the item that begins at `start`: its `;` or its closing brace at depth 0."""
    k = start
    n = len(code)
    while k < n:
        ch = code[k]
        if ch in '([':
            k = matching(code, k)
            continue
        if ch == ';':
            return k + 1
        if ch == '{':
            return matching(code, k)
        k += 1
    return n


CFG_TEST = re.compile(r'#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]')
ATTR = re.compile(r'\s*#\s*\[')


def strip_cfg_test(code):
    """Blanks every `#[cfg(test)]` item; returns the code and the names of `#[cfg(test)] mod x;`."""
    test_mods = set()
    out = code
    pos = 0
    while (m := CFG_TEST.search(out, pos)):
        k = m.end()
        while (a := ATTR.match(out, k)):  # further attributes of the same item
            k = matching(out, a.end() - 1)
        end = item_end(out, k)
        decl = re.match(r'\s*(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(' + IDENT + r')\s*;', out[k:end])
        if decl:
            test_mods.add(decl.group(1))
        out = out[:m.start()] + re.sub(r'[^\n]', ' ', out[m.start():end]) + out[end:]
        pos = end
    return out, test_mods


def inline_mod_spans(code):
    """(start, end) of each inline `mod name { … }` body."""
    spans = []
    for m in re.finditer(r'\bmod\s+' + IDENT + r'\s*\{', code):
        spans.append((m.end() - 1, matching(code, m.end() - 1)))
    return spans


# --------------------------------------------------------------------------------------------
# Paths: every `crate::…` (or a `super::` chain that climbs to the crate root), with its use tree.

def parse_tree(code, k):
    """Parses a path tail from `k` (after `crate::`): returns (list of segment lists, end)."""
    ws = re.compile(r'\s*')
    k = ws.match(code, k).end()
    if code.startswith('{', k):
        end = matching(code, k)
        paths = []
        for part in split_top(code[k + 1:end - 1]):
            sub, _ = parse_tree(part, 0)
            paths.extend(sub)
        return paths, end
    segs = []
    while True:
        m = re.compile(r'(?:r#)?(' + IDENT + r')').match(code, k)
        if not m:
            break
        segs.append(m.group(1))
        k = m.end()
        sep = re.compile(r'\s*::\s*').match(code, k)
        if not sep:
            break
        k = sep.end()
        if code.startswith('{', k) or code.startswith('*', k):
            if code.startswith('*', k):
                return [segs + ['*']], k + 1
            subs, end = parse_tree(code, k)
            return [segs + s for s in subs] or [segs], end
    return [segs], k


def split_top(s):
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in '{([':
            depth += 1
        elif ch in '})]':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(''.join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append(''.join(cur))
    return [p for p in parts if p.strip()]


CRATE_PATH = re.compile(r'(?<![A-Za-z0-9_])\$?crate\s*::')
SUPER_CHAIN = re.compile(r'(?<![A-Za-z0-9_:])(?:self\s*::\s*)?((?:super\s*::\s*)+)')


def root_paths(code, depth, spans):
    """Yields (offset, segments) of each path that starts at the crate root.

    `depth` is how many `super::` climb from the file's module to the crate root (1 for `x.rs`
    and `x/mod.rs`, 2 for `x/y.rs`); inline `mod name { }` blocks add one each."""
    for m in CRATE_PATH.finditer(code):
        paths, _ = parse_tree(code, m.end())
        for segs in paths:
            if segs:
                yield m.start(), segs
    for m in SUPER_CHAIN.finditer(code):
        ups = m.group(1).count('super')
        inner = sum(1 for a, b in spans if a < m.start() < b)
        if ups < depth + inner:
            continue  # stays inside this module
        if ups > depth + inner:
            raise Broken(f'`super::` climbs above the crate root at offset {m.start()}')
        paths, _ = parse_tree(code, m.end())
        for segs in paths:
            if segs:
                yield m.start(), segs


# --------------------------------------------------------------------------------------------
# The crate root: what each name of lib.rs (and of its inline modules) stands for.

class Namespace:
    def __init__(self):
        self.uses = {}      # name -> full path (segments) it imports
        self.globs = []     # paths of `use x::*`
        self.defs = set()   # items defined here
        self.mods = {}      # inline module name -> Namespace


DEF = re.compile(r'\b(?:fn|struct|enum|union|trait|static|const|type|macro_rules!)\s+(' + IDENT + r')')


def parse_namespace(code):
    """The names one module body (lib.rs's top level, or an inline module) declares."""
    ns = Namespace()
    # Inline modules first; their bodies are not this namespace's.
    body, spans = code, []
    for m in re.finditer(r'\bmod\s+(' + IDENT + r')\s*\{', code):
        if any(a < m.start() < b for a, b in spans):
            continue  # nested deeper: parsed with its parent
        end = matching(code, m.end() - 1)
        ns.mods[m.group(1)] = parse_namespace(code[m.end():end - 1])
        spans.append((m.start(), end))
        body = body[:m.start()] + re.sub(r'[^\n]', ' ', body[m.start():end]) + body[end:]
    for m in re.finditer(r'\buse\s+', body):
        paths, _ = parse_tree(body, m.end())
        for segs in paths:
            if not segs:
                continue
            alias = None
            tail = body[m.end():item_end(body, m.end())]
            last = segs[-1]
            am = re.search(r'\b' + re.escape(last) + r'\s+as\s+(' + IDENT + r')', tail)
            if am:
                alias = am.group(1)
            if last == '*':
                ns.globs.append(segs[:-1])
            elif last == 'self':
                ns.uses[alias or segs[-2]] = segs[:-1]
            else:
                ns.uses[alias or last] = segs
    for m in DEF.finditer(body):
        ns.defs.add(m.group(1))
    return ns


class Root:
    def __init__(self, lib_code, modules):
        self.ns = parse_namespace(lib_code)
        self.modules = modules
        self.macros = {}  # #[macro_export] macro name -> module

    def resolve(self, segs, ns=None, seen=None):
        """The module a path from the crate root lands in: a module name, 'lib', or None (outside
        the crate, e.g. a re-export of another crate)."""
        seen = seen or set()
        key = tuple(segs)
        if key in seen:
            raise Broken('re-export cycle at crate::' + '::'.join(segs))
        seen.add(key)
        top = ns is None
        ns = ns or self.ns
        head = segs[0]
        if head == 'self':
            return None  # the root itself, no item of it
        if head == '*':
            return 'lib'  # `use crate::*`: everything at the root
        if top and head in self.modules:
            return head
        if top and head in self.macros:
            return self.macros[head]
        if head in ns.mods:
            if len(segs) == 1:
                return 'lib'
            return self.resolve(segs[1:], ns.mods[head], seen)
        if head in ns.uses:
            target = ns.uses[head] + segs[1:]
            if target[0] in ('crate', '$crate'):
                return self.resolve(target[1:], None, seen)
            if target[0] == 'self':
                return self.resolve(target[1:], ns, seen)
            if target[0] == 'super':
                raise Broken('`super::` re-exports in lib.rs are not understood: ' + '::'.join(target))
            if target[0] in self.modules:
                return target[0]  # `pub use bucket::X;` (2018 paths, relative to the root)
            return None  # another crate
        if head in ns.defs:
            return 'lib'
        if ns.globs:
            raise Broken('crate::' + '::'.join(segs) + ' may come from a glob re-export in lib.rs; '
                         'name the items instead')
        return 'unresolved'


# --------------------------------------------------------------------------------------------
# The layer list in lib.rs.

def parse_layers(lib_text, lib_path):
    lines = lib_text.splitlines()
    start = next((i for i, l in enumerate(lines) if LAYER_MARKER in l and l.lstrip().startswith('//')), None)
    if start is None:
        raise Broken(f'{lib_path}: no comment block with "{LAYER_MARKER}" (the layer list)')
    i = start + 1
    while i < len(lines) and lines[i].lstrip().startswith('//') and not re.match(r'\s*//\s{2,}\S', lines[i]):
        i += 1  # the rest of the introduction, and the empty `//` line
    layers, indent = [], None
    entry = re.compile(r'(' + IDENT + r'(?:\s*,\s*' + IDENT + r')*)(?:\s{2,}\S.*)?$')
    while i < len(lines) and lines[i].lstrip().startswith('//'):
        body = lines[i].lstrip()[2:]
        if not body.strip():
            break
        this = len(body) - len(body.lstrip())
        if indent is None:
            indent = this
        if this > indent:
            i += 1
            continue  # the description goes on
        m = entry.match(body.strip())
        if this < indent or not m:
            raise Broken(f'{lib_path}:{i + 1}: not a layer line (`names, separated by commas` then two '
                         f'or more spaces then a description): {lines[i].strip()}')
        layers.append(([n.strip() for n in m.group(1).split(',')], i + 1))
        i += 1
    if not layers:
        raise Broken(f'{lib_path}:{start + 1}: the layer list is empty')
    seen = {}
    for names, line in layers:
        for n in names:
            if n in seen:
                raise Broken(f'{lib_path}:{line}: `{n}` is listed twice (also line {seen[n]})')
            if n == 'lib':
                raise Broken(f'{lib_path}:{line}: `lib` is the bottom layer implicitly; do not list it')
            seen[n] = line
    return layers


# --------------------------------------------------------------------------------------------
# The crate's files.

def module_files(src):
    """{module: [(path, depth)]} of the crate's code, test-only files left out."""
    mods = {}
    for entry in sorted(os.listdir(src)):
        path = os.path.join(src, entry)
        if os.path.isfile(path) and entry.endswith('.rs'):
            name = entry[:-3]
            if name in ('lib', 'main', 'tests'):
                continue
            mods.setdefault(name, []).append((path, 1))
        elif os.path.isdir(path):
            if entry in ('bin', 'tests'):
                continue
            if not (os.path.exists(os.path.join(path, 'mod.rs')) or os.path.exists(path + '.rs')):
                raise Broken(f'{path}: a directory that is no module (no mod.rs, no {entry}.rs)')
            mods.setdefault(entry, [])
            own = os.path.join(path, 'mod.rs')
            if os.path.exists(own):
                mods[entry].append((own, 1))
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != 'tests')
                for f in sorted(files):
                    p = os.path.join(root, f)
                    if not f.endswith('.rs') or p == own or f == 'tests.rs':
                        continue
                    rel = os.path.relpath(p, src)[:-3].split(os.sep)
                    depth = len(rel) - (1 if rel[-1] == 'mod' else 0)
                    mods[entry].append((p, depth))
    return mods


def child_file(path, name):
    """The files a `mod name;` in `path` may be declared by."""
    d, f = os.path.split(path)
    base = d if f in ('mod.rs', 'lib.rs', 'main.rs') else os.path.join(d, f[:-3])
    return [os.path.join(base, name + '.rs'), os.path.join(base, name, 'mod.rs'), os.path.join(base, name)]


def is_under(path, roots):
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) or path == r + '.rs' for r in roots)


# --------------------------------------------------------------------------------------------

def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def check(src):
    lib_path = os.path.join(src, 'lib.rs')
    if not os.path.exists(lib_path):
        raise Broken(f'{lib_path}: no crate root')
    lib_text = read(lib_path)
    layers = parse_layers(lib_text, lib_path)
    layer_of = {n: k + 1 for k, (names, _) in enumerate(layers) for n in names}
    bottom = len(layers) + 1
    layer_of['lib'] = bottom

    lib_code, lib_test_mods = strip_cfg_test(blank_non_code(lib_text))
    files = module_files(src)
    for name in lib_test_mods:
        files.pop(name, None)  # `#[cfg(test)] mod name;` at the root: test-only
    missing = sorted(set(files) - set(layer_of))
    if missing:
        raise Broken(f'{lib_path}: the layer list does not name module(s) {", ".join(missing)}; '
                     'add each to the line of its layer')
    absent = sorted(set(layer_of) - set(files) - {'lib'})
    if absent:
        raise Broken(f'{lib_path}: the layer list names {", ".join(absent)}, which src/ does not have')

    root = Root(lib_code, set(files))
    prepared, test_only = {}, []
    for mod, paths in files.items():
        for path, depth in paths:
            code, test_mods = strip_cfg_test(blank_non_code(read(path)))
            test_only += [c for name in test_mods for c in child_file(path, name)]
            prepared[path] = (mod, depth, code)
            for m in re.finditer(r'#\s*\[\s*macro_export\s*\][\s\S]{0,200}?macro_rules!\s*(' + IDENT + ')', code):
                root.macros[m.group(1)] = mod

    violations, edges, checked, seen = [], {}, 0, set()
    for path in sorted(prepared):
        if is_under(path, test_only):
            continue
        mod, depth, code = prepared[path]
        newlines = [k for k, ch in enumerate(code) if ch == '\n']
        spans = inline_mod_spans(code)
        for off, segs in root_paths(code, depth, spans):
            target = root.resolve(segs)
            line = bisect.bisect_left(newlines, off) + 1
            shown = 'crate::' + '::'.join(segs[:-1] if segs[-1] == 'self' else segs)
            if target == 'unresolved':
                raise Broken(f'{path}:{line}: `{shown}` does not resolve to a module of the crate '
                             'or an item of lib.rs')
            if target is None or target == mod:
                continue
            if (path, line, target) in seen:
                continue  # one report per line and module
            seen.add((path, line, target))
            checked += 1
            edges.setdefault(mod, {}).setdefault(target, (path, line, shown))
            if layer_of[target] > layer_of[mod]:
                violations.append(f'{path}:{line}: {mod} (layer {layer_of[mod]}) imports {target} '
                                  f'(layer {layer_of[target]}) through `{shown}`')
    # One line's modules may use each other, but not in a cycle: one report per edge of it.
    for names, line in layers:
        for cycle in cycles({n: {t for t in edges.get(n, {}) if t in names} for n in names}):
            ring = ' → '.join(cycle + [cycle[0]])
            for a, b in zip(cycle, cycle[1:] + cycle[:1]):
                path, at, shown = edges[a][b]
                violations.append(f'{path}:{at}: {a} (layer {layer_of[a]}) imports {b} (layer {layer_of[b]}) '
                                  f'through `{shown}`, in a cycle {ring} ({lib_path}:{line})')
    return violations, len(layer_of) - 1, len(layers), checked


def cycles(graph):
    """One representative cycle (list of nodes) per strongly connected component of size > 1."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(cycle_in(graph, set(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def cycle_in(graph, comp):
    start = min(comp)
    path, seen = [start], {start}
    while True:  # walk inside the component until a node repeats
        nxt = min(w for w in graph[path[-1]] if w in comp)
        if nxt in seen:
            return path[path.index(nxt):]
        path.append(nxt)
        seen.add(nxt)


def main(argv):
    if len(argv) != 2:
        print('usage: layers.py CRATE_SRC_DIR', file=sys.stderr)
        return 2
    try:
        violations, n_mods, n_layers, checked = check(argv[1].rstrip('/'))
    except Broken as e:
        print(f'layers: error: {e}', file=sys.stderr)
        return 2
    except OSError as e:
        print(f'layers: error: {e}', file=sys.stderr)
        return 2
    for v in violations:
        print(v)
    if violations:
        print(f'layers: {len(violations)} violation(s) of the layer list in {argv[1].rstrip("/")}/lib.rs '
              '(a module may use only modules on earlier lines or on its own line, without a cycle)')
        return 1
    print(f'layers ok: {n_mods} modules in {n_layers} layers, {checked} imports checked')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
