// A reader of build.ninja text that follows ninja 1.11.1's lexer and parser
// (lexer.in.cc, manifest_parser.cc) statement for statement, for the tests and
// fuzzers that check the writer: Read(Write(file)) must give `file` back.
// Not used by the tool itself.
//
// It reads into the writer's IR, so it accepts what ninja accepts where the IR
// can hold it, and reports an error otherwise: a variable reference in a path
// or in a top-level or build variable (the writer writes those as literal
// text), `include`/`subninja`, validations (`|@`), and rule bindings the IR
// has no field for. Comments are skipped, as ninja skips them. Rule values are
// given back as ninja text in a canonical spelling (`$$`, `$ ` for a leading
// space, `$name` or `${name}`), which may differ from the spelling that was read.
// Semantic checks ninja does later (unknown rules, duplicate outputs, path
// canonicalisation) are not made.
#pragma once
#include <string>
#include <string_view>

#include "ninja/ninja_ir.h"

namespace dhg::ninja {

// Parses `text` into `*file`. Returns false and sets `*error` to
// "line N: MESSAGE" (1-based) when ninja would reject the text or the IR
// cannot hold it.
bool Read(std::string_view text, File* file, std::string* error);

}  // namespace dhg::ninja
