// Every way the tool quotes or escapes text for another reader, in one place
// (as GN's escape.h): shell words and command lines, ninja paths and values,
// JSON, HTML, graphviz and mermaid labels, markdown, one-line messages, and
// the tab-separated fields of the build folder's records. Each escaper names
// its reader; where there is an inverse, it sits beside it.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dhg {

// --- the POSIX shell -------------------------------------------------------

// POSIX shell single-quoting: the result is one shell word that stands for
// exactly `word`. Words made only of [A-Za-z0-9_@%+=:,./-] are left bare; the
// empty word is ''. Throws std::invalid_argument for a NUL byte, which no
// argv string can hold.
std::string ShellQuote(std::string_view word);

// Shell-quotes every word and joins them with spaces: run by /bin/sh -c (as
// ninja runs a command), the line reaches the program as that argv, byte for
// byte; also how logs show a command. The first word is also quoted when the
// shell would otherwise take it for an assignment (`A=b`) or a reserved word
// (`if`, `time` ...).
std::string ShellCommandLine(const std::vector<std::string>& argv);

// The inverse, without a shell: splits a command into words by POSIX shell
// quoting rules ('...', "...", \), with no expansion of any kind. Returns
// false and sets *error on an unterminated quote or trailing backslash.
bool SplitShellWords(std::string_view command, std::vector<std::string>* words, std::string* error);

// --- ninja -----------------------------------------------------------------

// `$` -> `$$`, and ` ` -> `$ `, `:` -> `$:` (a path in a build line).
// Whether ninja can hold the text at all is ninja::Unwritable's question.
std::string NinjaEscapePath(std::string_view path);
// `$` -> `$$`, and a leading space -> `$ ` (ninja strips leading spaces of a value).
std::string NinjaEscapeValue(std::string_view value);
// How ninja itself shell-escapes $in and $out (GetShellEscapedString): bare
// when made of [A-Za-z0-9_+./-], single-quoted otherwise.
std::string NinjaShellEscaped(std::string_view path);

// --- messages, JSON, HTML, graphs ---------------------------------------------

// `text` between `quote` characters, readable in a one-line error message
// whatever it holds: the quote and `\` are escaped, line breaks, tabs and
// other control characters written as \n, \r, \t, \xNN, bytes that are not
// UTF-8 as \xNN; text longer than 120 bytes is cut (at a character boundary)
// and marked with `...` after the closing quote.
std::string QuoteForMessage(std::string_view text, char quote = '"');

// A JSON string literal, quotes included, standing for exactly `text`: `"`
// and `\` escaped, control characters as \n, \t, ... or \u00XX. Other bytes
// are copied, so UTF-8 text stays UTF-8.
std::string JsonQuote(std::string_view text);

// Text for HTML element content and attribute values: & < > " '.
std::string HtmlEscape(std::string_view text);

// A graphviz ID in double quotes.
std::string DotQuote(const std::string& text);
// Text inside a mermaid label "...": its entity codes for " # & < >.
std::string MermaidLabelText(const std::string& text);

// --- markdown (GitHub flavoured) ------------------------------------------------

// `text` on one line: line breaks and tabs become spaces.
std::string OneLine(std::string_view text);
// The longest run of backticks in `text` (a fence or code span must be longer).
size_t LongestBacktickRun(std::string_view text);
// `text` as a markdown code span that survives any backticks inside.
std::string CodeSpan(std::string_view text);
// A code span for a table cell: on one line, `|` escaped.
std::string TableCodeSpan(std::string_view text);
// `text` on one line, as literal markdown text (punctuation that could start
// emphasis, links, HTML, entities or table cells is backslash-escaped).
std::string MarkdownText(std::string_view text);

// --- tab-separated records (the build folder's input records) ------------------

// `\` -> `\\`, tab -> `\t`, newline -> `\n`, CR -> `\r`: a value fits one
// field of one line. Unescape returns nullopt for any other `\` sequence.
std::string EscapeTsvField(std::string_view text);
std::optional<std::string> UnescapeTsvField(std::string_view text);

}  // namespace dhg
