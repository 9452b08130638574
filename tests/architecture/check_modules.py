#!/usr/bin/env python3
"""The module rules a compiler does not check (docs/ARCHITECTURE.md):

- a source file includes another module's header (<wayhome/X/...>) only when its own
  module links X, directly or through its dependencies (CMake checks the layers of
  the links themselves, at configure time);
- no include reaches into another folder by a relative path ("../");
- no function in a module is longer than MAX_FUNCTION_LINES.

Usage: check_modules.py SOURCE_DIR. Prints every breach and exits 1 if there is one.
"""
import pathlib
import re
import sys

MAX_FUNCTION_LINES = 120
# wayhome_add_service_module() is a module of layer service that links the runtime.
MODULE_CALL = re.compile(r"wayhome_add_(service_)?module\((.*?)\)", re.S)
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def modules(root):
    """name -> (folder, direct wayhome deps)"""
    out = {}
    for cmake in root.rglob("CMakeLists.txt"):
        if "build" in cmake.relative_to(root).parts[0]:
            continue
        for service, call in MODULE_CALL.findall(cmake.read_text()):
            words = call.split()
            name = words[words.index("NAME") + 1]
            if "NAMESPACE" in words:  # a C++ namespace, not a module
                del words[words.index("NAMESPACE") : words.index("NAMESPACE") + 2]
            deps = {w.split("::", 1)[1] for w in words if w.startswith("wayhome::")}
            if service:
                deps.add("runtime")
            out[name] = (cmake.parent, deps)
    return out


def closure(name, mods, seen=None):
    seen = set() if seen is None else seen
    for dep in mods[name][1]:
        if dep not in seen:
            seen.add(dep)
            closure(dep, mods, seen)
    return seen


def long_functions(text):
    """(first line, length) of brace blocks at namespace level that are functions."""
    found = []
    depth = 0
    start = None
    line = 1
    in_namespace = []  # depth at which each open namespace/class/struct brace sits
    i = 0
    header = ""
    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i)
            j = len(text) if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        if c == "'" and i > 0 and not text[i - 1].isalnum():  # a char literal
            j = i + 1
            while j < len(text) and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == '"':
            if i > 0 and text[i - 1] == "R":  # raw string R"d(...)d"
                d = text[i + 1:text.index("(", i)]
                j = text.index(")" + d + '"', i)
                line += text.count("\n", i, j)
                i = j + len(d) + 2
                continue
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            line += text.count("\n", i, j)
            i = j + 1
            continue
        if c == "{":
            if start is None and depth == len(in_namespace):
                if re.search(r"\b(namespace|class|struct|enum|union)\b[^;{}()]*$", header) or \
                        header.rstrip().endswith("="):
                    in_namespace.append(depth)
                elif header.rstrip().endswith(")") or re.search(r"\)\s*(const|override|noexcept|final|\s)*(->[^{;]*)?$", header):
                    start = line
                    start_depth = depth
            depth += 1
            header = ""
        elif c == "}":
            depth -= 1
            if in_namespace and in_namespace[-1] == depth:
                in_namespace.pop()
            if start is not None and depth == start_depth:
                if line - start + 1 > MAX_FUNCTION_LINES:
                    found.append((start, line - start + 1))
                start = None
            header = ""
        elif c == ";":
            header = ""
        else:
            header += c
        i += 1
    return found


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    mods = modules(root)
    problems = []
    for name, (folder, _) in sorted(mods.items()):
        allowed = closure(name, mods) | {name}
        for path in sorted(folder.rglob("*")):
            if path.suffix not in {".cpp", ".hpp"}:
                continue
            rel = path.relative_to(root)
            text = path.read_text(errors="replace")
            for kind, target in INCLUDE.findall(text):
                if "../" in target:
                    problems.append(f"{rel}: includes {target!r} by a relative path")
                m = re.match(r"wayhome/([a-z_]+)/", target)
                if kind == "<" and m and m.group(1) in mods and m.group(1) not in allowed:
                    problems.append(f"{rel}: module {name} includes <{target}> but does not "
                                    f"link wayhome::{m.group(1)}")
            for first, length in long_functions(text):
                problems.append(f"{rel}:{first}: a function of {length} lines "
                                f"(at most {MAX_FUNCTION_LINES}): split it")
    for p in problems:
        print(p)
    print(f"{len(mods)} modules checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
