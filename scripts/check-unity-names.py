#!/usr/bin/env python3
"""Fails when two sources of one target define the same file-local name.

build-asan/ and build-fuzz/ are unity builds (scripts/sanitize.sh): meson
compiles 8 sources of a target as one. Names in anonymous namespaces and
`static` functions are then shared by those 8 files: the same name with the
same signature is an error, but with other parameters it is an overload, and
a call in one file can silently pick the other file's function (this
happened: two loader tests' `LoadClean`). Which files share a compile moves
whenever a source is added, so every file-local name must be unique within
its target, whatever the grouping.

Targets: the library (src/**/*.cc but the tests) and the unit tests
(src/**/*_test.cc and tests/unit/*.cc); the fuzzers compile library sources.
Found by a small tokenizer (comments, strings and raw strings skipped): the
names declared directly inside `namespace {` (functions, types, constants,
aliases) and `static` functions at namespace scope. The same alias of the
same type in several files is allowed (C++ allows its redeclaration).

    scripts/check-unity-names.py      (run by scripts/lint.sh)
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
KEYWORDS = {"const", "constexpr", "static", "inline", "struct", "class", "enum", "union", "using", "template",
            "typename", "auto", "unsigned", "signed", "long", "short", "int", "char", "bool", "double", "float",
            "void", "std", "operator", "extern", "thread_local", "volatile", "mutable", "noexcept", "override"}


def strip_literals(text):
    """The source with comments, string and character literals blanked (so
    braces inside them do not count); newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i + 2)
            delimiter = text[i + 2:open_paren]
            end = text.find(")" + delimiter + '"', open_paren)
            i = n if end < 0 else end + len(delimiter) + 2
            out.append('""')
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            # A digit separator (1'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum():
                out.append(c)
                i += 1
                continue
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def declared_name(statement):
    """The name a namespace-scope declaration introduces, or None."""
    statement = re.sub(r"template\s*<[^{;]*?>\s*", "", statement.strip())
    statement = re.sub(r"\[\[[^\]]*\]\]", "", statement)
    if not statement or statement.startswith("#"):
        return None
    kind = re.match(r"(?:enum\s+class|enum|struct|class|union)\s+([A-Za-z_]\w*)", statement)
    if kind:
        return kind.group(1)
    alias = re.match(r"using\s+([A-Za-z_]\w*)\s*=", statement)
    if alias:
        return alias.group(1)
    if statement.startswith(("using ", "namespace", "extern ", "friend ", "static_assert")):
        return None
    # The identifier before the first `(`, `=`, `{` or `[` outside <...>.
    depth, cut = 0, len(statement)
    for index, char in enumerate(statement):
        if char == "<":
            depth += 1
        elif char == ">" and depth:
            depth -= 1
        elif depth == 0 and char in "(={[":
            cut = index
            break
    head = statement[:cut].rstrip()
    if re.search(r"::\s*~?[A-Za-z_]\w*$", head) or "operator" in head:
        return None  # a member defined out of line, an operator
    names = IDENTIFIER.findall(head)
    if not names or names[-1] in KEYWORDS or names[-1].isupper():
        return None  # a macro (TEST_CASE(...)), a bare type
    return names[-1]


def local_names(path):
    """File-local names of one source: {name: (line, alias)}, alias being the
    type a `using NAME = TYPE;` names (the same alias twice is allowed)."""
    text = strip_literals(path.read_text(encoding="utf-8"))
    # Preprocessor lines (with their continuations) declare nothing here.
    text = re.sub(r"(?m)^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", "", text)
    names, stack, statement, line, start_line = {}, [], [], 1, 1
    # stack: one entry per open brace: "anon", "ns" (a named namespace) or "other".
    for char in text:
        if char == "\n":
            line += 1
        at_namespace_scope = all(kind in ("anon", "ns") for kind in stack)
        in_anonymous = "anon" in stack
        if char in "{;}":
            text_so_far = "".join(statement)
            if char == "{":
                if re.fullmatch(r"\s*namespace\s*", text_so_far):
                    stack.append("anon")
                elif re.fullmatch(r"\s*(inline\s+)?namespace\s+[\w:]+\s*", text_so_far):
                    stack.append("ns")
                else:
                    if at_namespace_scope:
                        record(names, text_so_far, in_anonymous, start_line)
                    stack.append("other")
            elif char == ";":
                if at_namespace_scope:
                    record(names, text_so_far, in_anonymous, start_line)
            elif stack:
                stack.pop()
            statement = []
            start_line = line
            continue
        if not statement and char.isspace():
            continue
        if not statement:
            start_line = line
        statement.append(char)
    return names


def record(names, statement, in_anonymous, line):
    is_static = re.match(r"\s*static\s", statement) is not None
    if not (in_anonymous or is_static):
        return
    if is_static and not in_anonymous and "(" not in statement:
        return
    name = declared_name(statement)
    if name:
        alias = re.match(r"\s*using\s+\w+\s*=\s*(.*)", statement, re.S)
        names.setdefault(name, (line, " ".join(alias.group(1).split()) if alias else None))


def targets():
    sources = sorted(p for p in (ROOT / "src").rglob("*.cc"))
    library = [p for p in sources if not p.name.endswith("_test.cc")]
    unit_tests = [p for p in sources if p.name.endswith("_test.cc")] + sorted((ROOT / "tests" / "unit").glob("*.cc"))
    return {"the library (src/)": library, "the unit tests": unit_tests}


def main():
    failed = False
    count = 0
    for target, files in targets().items():
        where = {}
        for path in files:
            for name, (line, alias) in local_names(path).items():
                where.setdefault(name, []).append((f"{path.relative_to(ROOT)}:{line}", alias))
                count += 1
        for name, found in sorted(where.items()):
            places = [place for place, _ in found]
            aliases = {alias for _, alias in found}
            if len(places) > 1 and not (len(aliases) == 1 and None not in aliases):
                failed = True
                print(f"check-unity-names: {target}: '{name}' is file-local in {len(places)} files "
                      f"(a unity build compiles them together): {', '.join(places)}", file=sys.stderr)
    if failed:
        print("check-unity-names: rename all but one (scripts/check-unity-names.py says why)", file=sys.stderr)
        return 1
    print(f"check-unity-names: {count} file-local names, each unique within its target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
