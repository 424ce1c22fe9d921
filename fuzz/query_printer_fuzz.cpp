// libFuzzer target: the Kintone query printer (src/kintone/query.cpp) on condition trees built
// from any bytes — field codes, string literals, operators, And/Or/Not nesting — and on sort
// keys. Besides never crashing, it checks the printer's promise (query.hpp): nothing in a field
// code or a literal can change the structure of the query. The printed text is read back by a
// small lexer of Kintone's query language (contract §7) and must give exactly the tree's
// tokens: each accepted field code one name token equal to it, each string literal one string
// token that unescapes to the original value, parentheses balanced, nothing else. A tree that
// the client refuses must be refused with a kintone::Error (a field code that is not one, a
// control character Kintone cannot escape), never with anything else. See fuzz/README.md.
#include "kintone/error.hpp"
#include "kintone/query.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using kintone::Condition;
using kintone::Op;
using kintone::Value;

// Reads the fuzzer's bytes as a stream of small decisions and length-prefixed strings.
struct Input {
	const uint8_t *data;
	size_t size;
	size_t pos = 0;
	uint8_t Byte() { return pos < size ? data[pos++] : 0; }
	std::string String() {
		size_t n = Byte() % 24;
		n = std::min(n, size - std::min(pos, size));
		std::string s(reinterpret_cast<const char *>(data + pos), n);
		pos += n;
		return s;
	}
	bool done() const { return pos >= size; }
};

std::string g_printed; // the query being checked, for the report

[[noreturn]] void Fail(const char *what) {
	std::fprintf(stderr, "query printer: %s\nprinted: %s\n", what, g_printed.c_str());
	std::abort(); // libFuzzer reports the input
}

// What the printed query must contain, in order: names, strings and bare words/operators are
// checked by kind; names and strings also by text.
struct Expected {
	std::vector<std::string> names;
	std::vector<std::string> strings;
};

const Op kOps[] = {Op::kEq, Op::kNe,    Op::kLt,   Op::kLe,      Op::kGt,      Op::kGe,
                   Op::kIn, Op::kNotIn, Op::kLike, Op::kNotLike, Op::kIsEmpty, Op::kIsNotEmpty};

Condition Build(Input &in, int depth) {
	uint8_t b = in.Byte();
	int kind = depth >= 4 ? 0 : b % 5;
	switch (kind) {
	case 1:
	case 2: {
		std::vector<Condition> children;
		int n = 1 + in.Byte() % 3;
		for (int i = 0; i < n && !in.done(); ++i) {
			children.push_back(Build(in, depth + 1));
		}
		return kind == 1 ? Condition::And(std::move(children)) : Condition::Or(std::move(children));
	}
	case 3:
		return Condition::Not(Build(in, depth + 1));
	case 4:
		return (b & 8) ? Condition::True() : Condition::False();
	default: {
		std::string field = in.String();
		if (in.Byte() & 1) {
			field = (in.Byte() & 1) ? "$id" : "顧客名";
		}
		Op op = kOps[in.Byte() % (sizeof kOps / sizeof kOps[0])];
		std::vector<Value> values;
		int n = 0;
		if (op == Op::kIn || op == Op::kNotIn) {
			n = 1 + in.Byte() % 3;
		} else if (op != Op::kIsEmpty && op != Op::kIsNotEmpty) {
			n = 1;
		}
		for (int i = 0; i < n; ++i) {
			uint8_t v = in.Byte();
			if (v % 7 == 0) {
				values.push_back(Value::Integer(std::to_string(static_cast<int>(in.Byte()) - 128)));
			} else if (v % 7 == 1) {
				values.push_back(Value::Function("TODAY"));
			} else {
				values.push_back(Value::String(in.String()));
			}
		}
		return Condition::Leaf(field, op, values);
	}
	}
}

void Collect(const Condition &c, Expected &out) {
	switch (c.kind()) {
	case Condition::Kind::kLeaf:
		out.names.push_back(c.field());
		for (const auto &v : c.values()) {
			if (v.kind == Value::Kind::kString) {
				out.strings.push_back(v.text);
			}
		}
		return;
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr:
	case Condition::Kind::kNot:
		for (const auto &child : c.children()) {
			Collect(child, out);
		}
		return;
	case Condition::Kind::kFalse:
		out.names.emplace_back("$id"); // printed as "$id < 0"
		return;
	default:
		return;
	}
}

bool IsSpecial(char ch) {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '(' || ch == ')' || ch == ',' || ch == '"' ||
	       ch == '=' || ch == '!' || ch == '<' || ch == '>';
}

bool IsWord(std::string_view w) {
	static const char *const kWords[] = {"and", "or", "in", "not", "like", "is", "empty"};
	for (const char *k : kWords) {
		if (w == k) {
			return true;
		}
	}
	return false;
}

// Lexes text and checks it against what the tree holds.
void CheckPrinted(const std::string &text, const Expected &want) {
	g_printed = text;
	size_t names = 0, strings = 0;
	int depth = 0;
	size_t i = 0;
	bool expect_name = true; // a leaf starts with a name; after "(" or and/or too
	while (i < text.size()) {
		char ch = text[i];
		if (ch == ' ') {
			++i;
		} else if (ch == '(' || ch == ')') {
			depth += ch == '(' ? 1 : -1;
			if (depth < 0) {
				Fail("unbalanced parentheses");
			}
			++i;
		} else if (ch == ',') {
			++i;
		} else if (ch == '"') {
			std::string value;
			++i;
			for (;;) {
				if (i >= text.size()) {
					Fail("unterminated string");
				}
				char c = text[i++];
				if (c == '"') {
					break;
				}
				if (c == '\\') {
					if (i >= text.size()) {
						Fail("dangling escape");
					}
					char e = text[i++];
					value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
				} else if (static_cast<unsigned char>(c) < 0x20) {
					Fail("raw control character in a string");
				} else {
					value += c;
				}
			}
			if (strings >= want.strings.size() || value != want.strings[strings]) {
				Fail("a string literal does not read back as its value");
			}
			++strings;
		} else if (ch == '=' || ch == '!' || ch == '<' || ch == '>') {
			while (i < text.size() && (text[i] == '=' || text[i] == '!' || text[i] == '<' || text[i] == '>')) {
				++i;
			}
		} else {
			size_t start = i;
			while (i < text.size() && !IsSpecial(text[i])) {
				++i;
			}
			std::string_view word(text.data() + start, i - start);
			if (names < want.names.size() && word == want.names[names] && expect_name) {
				++names;
				expect_name = false;
			} else if (IsWord(word)) {
				if (word == "and" || word == "or") {
					expect_name = true;
				}
			} else if (word == "TODAY" || (!word.empty() && (word[0] == '-' || (word[0] >= '0' && word[0] <= '9')))) {
				// a function or a bare integer
			} else {
				Fail("a token that is neither a field code, a word, a value nor an operator");
			}
		}
	}
	if (depth != 0) {
		Fail("unbalanced parentheses");
	}
	if (names != want.names.size() || strings != want.strings.size()) {
		Fail("the printed query does not hold exactly the tree's fields and literals");
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	Input in{data, size};
	try {
		Condition tree = Build(in, 0);
		Condition normalized = kintone::Normalized(tree);
		std::string text = kintone::PrintCondition(tree);
		Expected want;
		Collect(normalized, want);
		CheckPrinted(text, want);
		// Sort keys: a valid code prints as itself, anything else is refused.
		std::string code = in.String();
		std::string order = kintone::PrintOrderBy({{code, (in.Byte() & 1) != 0}});
		if (order != code + " asc" && order != code + " desc") {
			Fail("a sort key did not print as itself");
		}
	} catch (const kintone::Error &) {
		// refused: an invalid field code, a value Kintone cannot escape
	}
	return 0;
}
