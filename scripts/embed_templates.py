#!/usr/bin/env python3
"""Turns templates/*.md into a C++ header of string constants (run by meson)."""
import os
import sys

out, inputs = sys.argv[1], sys.argv[2:]
with open(out, "w", encoding="utf-8") as f:
    f.write("// Generated from templates/ by scripts/embed_templates.py. Do not edit.\n")
    f.write("#pragma once\n#include <string_view>\nnamespace dhg::templates {\n")
    for path in inputs:
        name = "k" + "".join(p.capitalize() for p in
                             os.path.splitext(os.path.basename(path))[0].split("_"))
        data = open(path, "rb").read()
        body = "".join(f"{b}," for b in data)
        f.write(f"inline constexpr char {name}Bytes[] = {{{body}0}};\n")
        f.write(f"inline constexpr std::string_view {name}{{{name}Bytes, {len(data)}}};\n")
    f.write("}  // namespace dhg::templates\n")
