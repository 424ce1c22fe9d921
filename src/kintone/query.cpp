// The Kintone query language: condition tree, field-code check and printer (see query.hpp).
#include "kintone/query.hpp"

#include "kintone/error.hpp"

#include <cstdint>

namespace kintone {

namespace {

// The escape Kintone needs for c inside a string literal, or nullptr when c is written as it
// is (contract §7.2: \" and \\ documented, \n \t \r observed).
const char *EscapeSequence(char c) {
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	default:
		return nullptr;
	}
}

// Decodes one UTF-8 code point at s[*i] and advances *i; -1 for an invalid sequence.
long NextCodePoint(std::string_view s, size_t *i) {
	auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
	unsigned char b0 = byte(*i);
	size_t len;
	long cp;
	if (b0 < 0x80) {
		++*i;
		return b0;
	} else if ((b0 & 0xE0) == 0xC0) {
		len = 2;
		cp = b0 & 0x1F;
	} else if ((b0 & 0xF0) == 0xE0) {
		len = 3;
		cp = b0 & 0x0F;
	} else if ((b0 & 0xF8) == 0xF0) {
		len = 4;
		cp = b0 & 0x07;
	} else {
		return -1;
	}
	if (*i + len > s.size()) {
		return -1;
	}
	for (size_t k = 1; k < len; ++k) {
		if ((byte(*i + k) & 0xC0) != 0x80) {
			return -1;
		}
		cp = (cp << 6) | (byte(*i + k) & 0x3F);
	}
	static const long kMin[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		return -1; // overlong, out of range, or a surrogate
	}
	*i += len;
	return cp;
}

// Non-ASCII code points that may not appear in a field code: controls, white space and
// invisible format characters (which could separate tokens or hide what a code is), specials,
// and the full-width forms of ASCII punctuation (a server that folded widths would read them
// as operators, quotes or parentheses). Full-width "_" is a field-code character.
bool ForbiddenNonAscii(long cp) {
	return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) ||
	       (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF ||
	       (cp >= 0xFFF0 && cp <= 0xFFFF) || (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
	       (cp >= 0xFF3B && cp <= 0xFF3E) || cp == 0xFF40 || (cp >= 0xFF5B && cp <= 0xFF60);
}

// A code as it may be shown in a message: control and non-UTF-8 bytes as \xNN.
std::string Printable(std::string_view code) {
	static const char kHex[] = "0123456789ABCDEF";
	std::string out;
	size_t i = 0;
	while (i < code.size()) {
		size_t start = i;
		long cp = NextCodePoint(code, &i);
		if (cp < 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
			if (cp < 0) {
				i = start + 1;
			}
			for (size_t k = start; k < i; ++k) {
				unsigned char b = static_cast<unsigned char>(code[k]);
				out += "\\x";
				out += kHex[b >> 4];
				out += kHex[b & 0xF];
			}
		} else {
			out.append(code.substr(start, i - start));
		}
	}
	return out;
}

bool IsDigits(std::string_view text, bool allow_sign) {
	if (allow_sign && !text.empty() && text.front() == '-') {
		text.remove_prefix(1);
	}
	if (text.empty()) {
		return false;
	}
	for (char c : text) {
		if (c < '0' || c > '9') {
			return false;
		}
	}
	return true;
}

// An upper-case symbol or function name: A-Z, digits and "_", starting with a letter.
bool IsSymbol(std::string_view text) {
	if (text.empty() || text.front() < 'A' || text.front() > 'Z') {
		return false;
	}
	for (char c : text) {
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
			return false;
		}
	}
	return true;
}

Error Internal(std::string what) {
	return Error(ErrorKind::kInternal, "kintone_fdw built an invalid Kintone query", std::move(what));
}

void CheckValue(const Value &value) {
	switch (value.kind) {
	case Value::Kind::kString:
		if (!CanQuote(value.text)) {
			throw Error(ErrorKind::kNotSupported, "a control character cannot be written in a Kintone query string");
		}
		return;
	case Value::Kind::kInteger:
		if (!IsDigits(value.text, true)) {
			throw Internal("bare number \"" + Printable(value.text) + "\"");
		}
		return;
	case Value::Kind::kFunction:
		if (!IsSymbol(value.text)) {
			throw Internal("function name \"" + Printable(value.text) + "\"");
		}
		for (const auto &arg : value.args) {
			if (!IsSymbol(arg) && !IsDigits(arg, true)) {
				throw Internal("function argument \"" + Printable(arg) + "\"");
			}
		}
		return;
	}
}

void AppendValue(std::string &out, const Value &value) {
	CheckValue(value);
	switch (value.kind) {
	case Value::Kind::kString:
		out += QuoteString(value.text);
		return;
	case Value::Kind::kInteger:
		out += value.text;
		return;
	case Value::Kind::kFunction:
		out += value.text;
		out += '(';
		for (size_t i = 0; i < value.args.size(); ++i) {
			out += (i > 0 ? ", " : "");
			out += value.args[i];
		}
		out += ')';
		return;
	}
}

// The tree after moving Not to the leaves and folding always-true/false children away.
Condition Normalize(const Condition &c, bool negate) {
	switch (c.kind()) {
	case Condition::Kind::kTrue:
		return negate ? Condition::False() : c;
	case Condition::Kind::kFalse:
		return negate ? Condition::True() : c;
	case Condition::Kind::kLeaf:
		return negate ? Condition::Leaf(c.field(), Complement(c.op()), c.values()) : c;
	case Condition::Kind::kNot:
		return Normalize(c.children().front(), !negate);
	case Condition::Kind::kSlot:
		if (negate) {
			throw Internal("a negated slot");
		}
		return c;
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr: {
		bool is_and = (c.kind() == Condition::Kind::kAnd) != negate;
		std::vector<Condition> kept;
		for (const auto &child : c.children()) {
			Condition n = Normalize(child, negate);
			if (n.kind() == (is_and ? Condition::Kind::kTrue : Condition::Kind::kFalse)) {
				continue; // neutral
			}
			if (n.kind() == (is_and ? Condition::Kind::kFalse : Condition::Kind::kTrue)) {
				return n; // absorbing
			}
			if (n.kind() == (is_and ? Condition::Kind::kAnd : Condition::Kind::kOr)) {
				kept.insert(kept.end(), n.children().begin(), n.children().end()); // flatten
			} else {
				kept.push_back(std::move(n));
			}
		}
		if (kept.empty()) {
			return is_and ? Condition::True() : Condition::False();
		}
		if (kept.size() == 1) {
			return kept.front();
		}
		return is_and ? Condition::And(std::move(kept)) : Condition::Or(std::move(kept));
	}
	}
	return c;
}

void Print(std::string &out, const Condition &c, bool nested,
           const std::function<std::string(const Condition &)> &slot_text) {
	switch (c.kind()) {
	case Condition::Kind::kTrue:
		out += "$id > 0"; // every record has one (only reached inside a slot's text)
		return;
	case Condition::Kind::kFalse:
		out += "$id < 0";
		return;
	case Condition::Kind::kLeaf: {
		CheckFieldCode(c.field());
		out += c.field();
		out += ' ';
		out += OpText(c.op());
		if (c.op() == Op::kIn || c.op() == Op::kNotIn) {
			out += " (";
			for (size_t i = 0; i < c.values().size(); ++i) {
				out += (i > 0 ? ", " : "");
				AppendValue(out, c.values()[i]);
			}
			out += ')';
		} else if (!c.values().empty()) {
			out += ' ';
			AppendValue(out, c.values().front());
		}
		return;
	}
	case Condition::Kind::kSlot:
		if (!slot_text) {
			throw Internal("a value known only at execution was not filled in");
		}
		out += slot_text(c);
		return;
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr: {
		const char *sep = c.kind() == Condition::Kind::kAnd ? " and " : " or ";
		if (nested) {
			out += '(';
		}
		for (size_t i = 0; i < c.children().size(); ++i) {
			out += (i > 0 ? sep : "");
			Print(out, c.children()[i], true, slot_text);
		}
		if (nested) {
			out += ')';
		}
		return;
	}
	case Condition::Kind::kNot:
		throw Internal("an unnormalized not");
	}
}

bool AnySlot(const Condition &c) {
	if (c.kind() == Condition::Kind::kSlot) {
		return true;
	}
	if (c.kind() == Condition::Kind::kAnd || c.kind() == Condition::Kind::kOr || c.kind() == Condition::Kind::kNot) {
		for (const auto &child : c.children()) {
			if (AnySlot(child)) {
				return true;
			}
		}
	}
	return false;
}

} // namespace

bool CanQuote(std::string_view value) {
	for (unsigned char c : value) {
		if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F) {
			return false;
		}
	}
	return true;
}

std::string QuoteString(std::string_view value) {
	if (!CanQuote(value)) {
		throw Error(ErrorKind::kNotSupported, "a control character cannot be written in a Kintone query string");
	}
	std::string out;
	out.reserve(value.size() + 2);
	out += '"';
	for (char c : value) {
		const char *escape = EscapeSequence(c);
		if (escape != nullptr) {
			out += escape;
		} else {
			out += c;
		}
	}
	out += '"';
	return out;
}

bool IsValidFieldCode(std::string_view code) {
	if (code == "$id" || code == "$revision") {
		return true;
	}
	if (code.empty()) {
		return false;
	}
	size_t i = 0;
	while (i < code.size()) {
		long cp = NextCodePoint(code, &i);
		if (cp < 0) {
			return false;
		}
		if (cp < 0x80) {
			bool word = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
			if (!word) {
				return false;
			}
		} else if (ForbiddenNonAscii(cp)) {
			return false;
		}
	}
	return true;
}

void CheckFieldCode(std::string_view code) {
	if (!IsValidFieldCode(code)) {
		throw Error(ErrorKind::kInvalidOptionValue, "\"" + Printable(code) + "\" is not a valid Kintone field code",
		            "A field code is made of letters and digits (ASCII, kana, kanji or full-width), \"_\", \"＿\", "
		            "\"・\" and \"･\"; it has no spaces, quotes, operators, parentheses or control characters. "
		            "\"$id\" and \"$revision\" name the record id and revision.",
		            "Use the field code shown in the app's form settings (IMPORT FOREIGN SCHEMA writes them for you).");
	}
}

void CheckFormFieldCode(std::string_view code) {
	if (!IsValidFieldCode(code)) {
		throw Error(
		    ErrorKind::kInvalidOptionValue,
		    "the app's form has a field whose code \"" + Printable(code) + "\" is not a valid Kintone field code",
		    "kintone_fdw puts field codes into Kintone queries; a code with spaces, quotes, operators, "
		    "parentheses or control characters could change a query's meaning.",
		    "Change the field code in the app's form settings, or declare the table by hand without that field.");
	}
}

const char *OpText(Op op) {
	switch (op) {
	case Op::kEq:
		return "=";
	case Op::kNe:
		return "!=";
	case Op::kLt:
		return "<";
	case Op::kLe:
		return "<=";
	case Op::kGt:
		return ">";
	case Op::kGe:
		return ">=";
	case Op::kIn:
		return "in";
	case Op::kNotIn:
		return "not in";
	case Op::kLike:
		return "like";
	case Op::kNotLike:
		return "not like";
	case Op::kIsEmpty:
		return "is empty";
	case Op::kIsNotEmpty:
		return "is not empty";
	}
	return "?";
}

Op Complement(Op op) {
	switch (op) {
	case Op::kEq:
		return Op::kNe;
	case Op::kNe:
		return Op::kEq;
	case Op::kLt:
		return Op::kGe;
	case Op::kLe:
		return Op::kGt;
	case Op::kGt:
		return Op::kLe;
	case Op::kGe:
		return Op::kLt;
	case Op::kIn:
		return Op::kNotIn;
	case Op::kNotIn:
		return Op::kIn;
	case Op::kLike:
		return Op::kNotLike;
	case Op::kNotLike:
		return Op::kLike;
	case Op::kIsEmpty:
		return Op::kIsNotEmpty;
	case Op::kIsNotEmpty:
		return Op::kIsEmpty;
	}
	return op;
}

Value Value::String(std::string text) {
	Value v;
	v.kind = Kind::kString;
	v.text = std::move(text);
	return v;
}

Value Value::Integer(std::string digits) {
	Value v;
	v.kind = Kind::kInteger;
	v.text = std::move(digits);
	CheckValue(v);
	return v;
}

Value Value::Function(std::string name, std::vector<std::string> args) {
	Value v;
	v.kind = Kind::kFunction;
	v.text = std::move(name);
	v.args = std::move(args);
	CheckValue(v);
	return v;
}

bool Value::operator==(const Value &other) const {
	return kind == other.kind && text == other.text && args == other.args;
}

Condition::Condition() = default;

Condition Condition::True() {
	return Condition();
}

Condition Condition::False() {
	Condition c;
	c.kind_ = Kind::kFalse;
	return c;
}

Condition Condition::Leaf(std::string field, Op op, std::vector<Value> values) {
	CheckFieldCode(field);
	size_t n = values.size();
	bool fits;
	switch (op) {
	case Op::kIsEmpty:
	case Op::kIsNotEmpty:
		fits = n == 0;
		break;
	case Op::kIn:
	case Op::kNotIn:
		fits = n >= 1;
		break;
	default:
		fits = n == 1;
		break;
	}
	if (!fits) {
		throw Internal(std::string("operator ") + OpText(op) + " with " + std::to_string(n) + " values");
	}
	Condition c;
	c.kind_ = Kind::kLeaf;
	c.field_ = std::move(field);
	c.op_ = op;
	c.values_ = std::move(values);
	return c;
}

Condition Condition::And(std::vector<Condition> children) {
	Condition c;
	c.kind_ = Kind::kAnd;
	c.children_ = std::make_shared<const std::vector<Condition>>(std::move(children));
	return c;
}

Condition Condition::Or(std::vector<Condition> children) {
	Condition c;
	c.kind_ = Kind::kOr;
	c.children_ = std::make_shared<const std::vector<Condition>>(std::move(children));
	return c;
}

Condition Condition::Not(Condition child) {
	Condition c;
	c.kind_ = Kind::kNot;
	c.children_ = std::make_shared<const std::vector<Condition>>(std::vector<Condition>{std::move(child)});
	return c;
}

Condition Condition::Slot(int index, std::shared_ptr<const SlotRule> rule) {
	Condition c;
	c.kind_ = Kind::kSlot;
	c.slot_ = index;
	c.slot_rule_ = std::move(rule);
	return c;
}

bool Condition::HasSlots() const {
	return AnySlot(*this);
}

Condition BindSlots(const Condition &c, const std::function<Condition(const Condition &)> &fill) {
	switch (c.kind()) {
	case Condition::Kind::kSlot:
		return fill(c);
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr:
	case Condition::Kind::kNot: {
		std::vector<Condition> children;
		children.reserve(c.children().size());
		for (const auto &child : c.children()) {
			children.push_back(BindSlots(child, fill));
		}
		if (c.kind() == Condition::Kind::kNot) {
			return Condition::Not(std::move(children.front()));
		}
		return c.kind() == Condition::Kind::kAnd ? Condition::And(std::move(children))
		                                         : Condition::Or(std::move(children));
	}
	default:
		return c;
	}
}

Condition Normalized(const Condition &condition) {
	return Normalize(condition, false);
}

Condition WidenLeaves(const Condition &c, const std::function<bool(const Condition &)> &widen) {
	switch (c.kind()) {
	case Condition::Kind::kLeaf:
		return widen(c) ? Condition::True() : c;
	case Condition::Kind::kNot:
		throw Internal("widening under a not");
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr: {
		std::vector<Condition> children;
		for (const auto &child : c.children()) {
			children.push_back(WidenLeaves(child, widen));
		}
		return c.kind() == Condition::Kind::kAnd ? Condition::And(std::move(children))
		                                         : Condition::Or(std::move(children));
	}
	default:
		return c;
	}
}

std::string PrintCondition(const Condition &condition, const std::function<std::string(const Condition &)> &slot_text) {
	Condition normal = Normalize(condition, false);
	if (normal.kind() == Condition::Kind::kTrue) {
		return "";
	}
	std::string out;
	Print(out, normal, false, slot_text);
	return out;
}

std::string PrintOrderBy(const std::vector<SortKey> &keys) {
	std::string out;
	for (size_t i = 0; i < keys.size(); ++i) {
		CheckFieldCode(keys[i].field);
		out += (i > 0 ? ", " : "");
		out += keys[i].field;
		out += keys[i].descending ? " desc" : " asc";
	}
	return out;
}

} // namespace kintone
