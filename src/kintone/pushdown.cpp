// The pushdown rules (see pushdown.hpp; the reasoning behind each is in docs/pushdown.md).
//
// Facts the rules rest on (contract references):
// - $id is never empty and compares as an integer; seek paging ("$id > N") relies on it [OBS].
// - Kintone refuses a value that is not one of an option field's options (GAIA_IQ10) [OBS],
//   so "in" on option fields compares option labels; "in ("")" on a DROP_DOWN matches the
//   unselected records and "not in ("", …)" excludes them [OBS]. On RADIO_BUTTON "in ("")"
//   may be refused [UNV, §11 item 15]: no emptiness test is sent for it.
// - Empty values read as SQL NULL (the reader maps "" and null to NULL), so a SQL comparison
//   never keeps them. How Kintone compares an empty NUMBER is not verified [UNV, §11 item 17]:
//   it may never match, or count as 0. A number comparison is exact only when 0 does not
//   satisfy it; otherwise it is a superset. Empty DATE/DATETIME values are treated the same
//   way (never matching, or comparing as the earliest value): "<" and "<=" are supersets.
// - CREATED_TIME/UPDATED_TIME (and DATETIME) show whole minutes; whether the server keeps
//   seconds it does not show is not verified [UNV, §11 item 16]. Every comparison is written
//   on minute boundaries with ">=" and "<" only, which is right either way; ordering by them
//   is pushed only as the last sort key (ties within a shown minute may be ordered by hidden
//   seconds rather than by the next key).
// - Case and width sensitivity of text "=" is not verified [UNV, §7.5]: text equality is a
//   superset, text inequality and ordering stay local.
// - "like" is Kintone's word search, not a pattern match [OBS]: only kintone_like() uses it.
// - "is empty" on MULTI_LINE_TEXT matches empty and white-space-only values [OBS]: a superset
//   of IS NULL. On RICH_TEXT it is not verified [UNV, §11 item 8].
#include "kintone/pushdown.hpp"

#include "kintone/error.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace kintone {

namespace {

enum class Family { kNone, kId, kNumber, kText, kOption, kMulti, kUser, kDate, kDateTime, kLongText };

Family FamilyOf(const FieldFacts &f) {
	switch (f.type) {
	case FieldType::kId:
		return Family::kId;
	case FieldType::kNumber:
		return Family::kNumber;
	case FieldType::kCalc:
		return (f.calc_format.empty() || f.calc_format == "NUMBER" || f.calc_format == "NUMBER_DIGIT") ? Family::kNumber
		                                                                                               : Family::kNone;
	case FieldType::kSingleLineText:
	case FieldType::kLink:
		return Family::kText;
	case FieldType::kMultiLineText:
	case FieldType::kRichText:
		return Family::kLongText;
	case FieldType::kDropDown:
	case FieldType::kRadioButton:
		return Family::kOption;
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
		return Family::kMulti;
	case FieldType::kCreator:
	case FieldType::kModifier:
		return Family::kUser;
	case FieldType::kDate:
		return Family::kDate;
	case FieldType::kDateTime:
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
		return Family::kDateTime;
	default:
		return Family::kNone;
	}
}

// The column's type must compare the way Kintone compares the field.
bool ColumnFits(Family family, ColumnClass column) {
	switch (family) {
	case Family::kId:
	case Family::kNumber:
		return column == ColumnClass::kInteger || column == ColumnClass::kNumeric;
	case Family::kText:
	case Family::kLongText:
	case Family::kOption:
	case Family::kUser:
		return column == ColumnClass::kText;
	case Family::kMulti:
		return column == ColumnClass::kTextArray;
	case Family::kDate:
		return column == ColumnClass::kDate;
	case Family::kDateTime:
		return column == ColumnClass::kTimestampTz;
	case Family::kNone:
		return false;
	}
	return false;
}

// The field's family when the column fits it, else kNone.
Family Usable(const FieldFacts &f) {
	Family family = FamilyOf(f);
	return ColumnFits(family, f.column) ? family : Family::kNone;
}

// CREATED_TIME / UPDATED_TIME: always set, so no comparison has to care about empty values.
bool NeverEmpty(const FieldFacts &f) {
	return f.type == FieldType::kId || f.type == FieldType::kCreatedTime || f.type == FieldType::kUpdatedTime;
}

Op OpOf(Comparison c) {
	switch (c) {
	case Comparison::kEq:
		return Op::kEq;
	case Comparison::kNe:
		return Op::kNe;
	case Comparison::kLt:
		return Op::kLt;
	case Comparison::kLe:
		return Op::kLe;
	case Comparison::kGt:
		return Op::kGt;
	case Comparison::kGe:
		return Op::kGe;
	}
	return Op::kEq;
}

// -1, 0 or 1: the sign of a plain decimal text.
int Sign(const std::string &text) {
	bool negative = !text.empty() && text.front() == '-';
	for (char c : text) {
		if (c >= '1' && c <= '9') {
			return negative ? -1 : 1;
		}
	}
	return 0;
}

// Whether "0 op value" holds: an empty NUMBER that Kintone compared as 0 would match.
bool ZeroSatisfies(Comparison op, int value_sign) {
	switch (op) {
	case Comparison::kEq:
		return value_sign == 0;
	case Comparison::kNe:
		return value_sign != 0;
	case Comparison::kLt:
		return value_sign > 0;
	case Comparison::kLe:
		return value_sign >= 0;
	case Comparison::kGt:
		return value_sign < 0;
	case Comparison::kGe:
		return value_sign <= 0;
	}
	return true;
}

bool IsNumber(const SqlValue &v) {
	return v.kind == SqlValue::Kind::kInteger || v.kind == SqlValue::Kind::kDecimal;
}

// The literal of a scalar value for the family, or nullopt when it cannot be written exactly.
std::optional<Value> Literal(Family family, const SqlValue &v) {
	switch (family) {
	case Family::kId:
		if (v.kind != SqlValue::Kind::kInteger) {
			return std::nullopt;
		}
		return Value::Integer(v.text);
	case Family::kNumber:
		if (!IsNumber(v)) {
			return std::nullopt;
		}
		return Value::String(v.text);
	case Family::kText:
	case Family::kOption:
	case Family::kUser:
	case Family::kLongText:
		if (v.kind != SqlValue::Kind::kText || !CanQuote(v.text)) {
			return std::nullopt;
		}
		return Value::String(v.text);
	case Family::kDate:
		if (v.kind != SqlValue::Kind::kDate) {
			return std::nullopt;
		}
		return Value::String(v.text);
	default:
		return std::nullopt;
	}
}

bool Contains(const std::vector<std::string> &options, const std::string &label) {
	return std::find(options.begin(), options.end(), label) != options.end();
}

std::string AsciiLower(const std::string &s) {
	std::string out = s;
	for (auto &c : out) {
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	}
	return out;
}

// Another option that differs from label only in ASCII case: were Kintone to match options
// case-insensitively [UNV], "in" on label would also find it.
bool HasCaseTwin(const std::vector<std::string> &options, const std::string &label) {
	std::string lower = AsciiLower(label);
	for (const auto &o : options) {
		if (o != label && AsciiLower(o) == lower) {
			return true;
		}
	}
	return false;
}

constexpr long long kMicrosPerMinute = 60LL * 1000 * 1000;

long long FloorMinute(long long micros) {
	long long r = micros % kMicrosPerMinute;
	return micros - (r < 0 ? r + kMicrosPerMinute : r);
}

// Days since 1970-01-01 -> civil date (proleptic Gregorian).
void CivilFromDays(long long z, int *y, unsigned *m, unsigned *d) {
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = static_cast<unsigned>(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long year = static_cast<long long>(yoe) + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = static_cast<int>(year + (*m <= 2));
}

Condition TimeLeaf(const std::string &code, Op op, const std::string &literal) {
	return Condition::Leaf(code, op, {Value::String(literal)});
}

// DATETIME-like comparisons on minute boundaries (see the file comment): only ">=" and "<"
// against whole minutes, which mean the same whether or not the server keeps hidden seconds.
Pushdown DateTimeCompare(const FieldFacts &f, Comparison op, const SqlValue &v) {
	if (v.kind != SqlValue::Kind::kTimestamp) {
		return Pushdown::Local();
	}
	long long floor = FloorMinute(v.micros);
	bool whole = floor == v.micros;
	auto t0 = MinuteLiteral(floor);
	auto t1 = MinuteLiteral(floor + kMicrosPerMinute);
	if (!t0 || !t1) {
		return Pushdown::Local();
	}
	// Empty DATETIME values: "<" forms would match them were they to compare as the earliest
	// value; CREATED_TIME/UPDATED_TIME are never empty.
	Verdict below = NeverEmpty(f) ? Verdict::kExact : Verdict::kSuperset;
	auto make = [](Verdict verdict, Condition c) {
		Pushdown p;
		p.verdict = verdict;
		p.condition = std::move(c);
		return p;
	};
	switch (op) {
	case Comparison::kEq:
		if (!whole) {
			return Pushdown::Local(); // shown values are whole minutes; keep it to PostgreSQL
		}
		return Pushdown::Exact(Condition::And({TimeLeaf(f.code, Op::kGe, *t0), TimeLeaf(f.code, Op::kLt, *t1)}));
	case Comparison::kNe:
		if (!whole) {
			return Pushdown::Local();
		}
		return make(below, Condition::Or({TimeLeaf(f.code, Op::kLt, *t0), TimeLeaf(f.code, Op::kGe, *t1)}));
	case Comparison::kLt: // shown < v  <=>  actual < (whole ? v : floor(v) + 1 minute)
		return make(below, TimeLeaf(f.code, Op::kLt, whole ? *t0 : *t1));
	case Comparison::kLe: // shown <= v  <=>  actual < floor(v) + 1 minute
		return make(below, TimeLeaf(f.code, Op::kLt, *t1));
	case Comparison::kGt: // shown > v  <=>  actual >= floor(v) + 1 minute
		return Pushdown::Exact(TimeLeaf(f.code, Op::kGe, *t1));
	case Comparison::kGe: // shown >= v  <=>  actual >= (whole ? v : floor(v) + 1 minute)
		return Pushdown::Exact(TimeLeaf(f.code, Op::kGe, whole ? *t0 : *t1));
	}
	return Pushdown::Local();
}

// An option value: "" equals nothing (an empty selection reads as NULL); a label that is not
// an option cannot be sent (GAIA_IQ10) and may mean the options are out of date.
enum class OptionCheck { kOption, kEmpty, kUnknown, kNotText };

OptionCheck CheckOption(const FieldFacts &f, const SqlValue &v) {
	if (v.kind != SqlValue::Kind::kText || !CanQuote(v.text)) {
		return OptionCheck::kNotText;
	}
	if (v.text.empty()) {
		return OptionCheck::kEmpty;
	}
	return Contains(f.options, v.text) ? OptionCheck::kOption : OptionCheck::kUnknown;
}

} // namespace

SqlValue SqlValue::Integer(long long v) {
	SqlValue out;
	out.kind = Kind::kInteger;
	out.text = std::to_string(v);
	return out;
}

SqlValue SqlValue::Decimal(std::string text) {
	SqlValue out;
	out.kind = Kind::kDecimal;
	out.text = std::move(text);
	return out;
}

SqlValue SqlValue::Text(std::string text) {
	SqlValue out;
	out.kind = Kind::kText;
	out.text = std::move(text);
	return out;
}

SqlValue SqlValue::Date(int year, int month, int day) {
	SqlValue out;
	out.kind = Kind::kDate;
	char buf[48];
	std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", year, month, day);
	out.text = buf;
	return out;
}

SqlValue SqlValue::Timestamp(long long micros) {
	SqlValue out;
	out.kind = Kind::kTimestamp;
	out.micros = micros;
	return out;
}

const char *VerdictName(Verdict verdict) {
	switch (verdict) {
	case Verdict::kLocal:
		return "local";
	case Verdict::kSuperset:
		return "superset";
	case Verdict::kExact:
		return "exact";
	}
	return "?";
}

Pushdown Pushdown::Local(bool unknown_option) {
	Pushdown p;
	p.unknown_option = unknown_option;
	return p;
}

Pushdown Pushdown::Exact(Condition condition) {
	Pushdown p;
	p.verdict = Verdict::kExact;
	p.condition = std::move(condition);
	return p;
}

Pushdown Pushdown::Superset(Condition condition) {
	Pushdown p;
	p.verdict = Verdict::kSuperset;
	p.condition = std::move(condition);
	return p;
}

Verdict Weaker(Verdict a, Verdict b) {
	return static_cast<int>(a) < static_cast<int>(b) ? a : b;
}

Comparison Commute(Comparison c) {
	switch (c) {
	case Comparison::kLt:
		return Comparison::kGt;
	case Comparison::kLe:
		return Comparison::kGe;
	case Comparison::kGt:
		return Comparison::kLt;
	case Comparison::kGe:
		return Comparison::kLe;
	default:
		return c;
	}
}

Comparison Negate(Comparison c) {
	switch (c) {
	case Comparison::kEq:
		return Comparison::kNe;
	case Comparison::kNe:
		return Comparison::kEq;
	case Comparison::kLt:
		return Comparison::kGe;
	case Comparison::kLe:
		return Comparison::kGt;
	case Comparison::kGt:
		return Comparison::kLe;
	case Comparison::kGe:
		return Comparison::kLt;
	}
	return c;
}

std::optional<std::string> MinuteLiteral(long long micros) {
	long long minute = FloorMinute(micros) / kMicrosPerMinute;
	long long days = minute >= 0 ? minute / 1440 : -((-minute + 1439) / 1440);
	long long in_day = minute - days * 1440;
	int y;
	unsigned m, d;
	CivilFromDays(days, &y, &m, &d);
	if (y < 1 || y > 9999) {
		return std::nullopt;
	}
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:00Z", y, m, d, static_cast<int>(in_day / 60),
	              static_cast<int>(in_day % 60));
	return std::string(buf);
}

Pushdown PushCompare(const FieldFacts &f, Comparison op, const SqlValue &v) {
	Family family = Usable(f);
	bool ordering = op != Comparison::kEq && op != Comparison::kNe;
	switch (family) {
	case Family::kId: {
		auto lit = Literal(family, v);
		if (!lit) {
			return Pushdown::Local();
		}
		return Pushdown::Exact(Condition::Leaf(f.code, OpOf(op), {*lit}));
	}
	case Family::kNumber: {
		auto lit = Literal(family, v);
		if (!lit) {
			return Pushdown::Local();
		}
		Condition c = Condition::Leaf(f.code, OpOf(op), {*lit});
		// An empty value never matches, or compares as 0 [UNV]: exact only when 0 would not
		// match either. "!=" may match empty values whatever they compare as.
		if (op == Comparison::kNe || ZeroSatisfies(op, Sign(v.text))) {
			return Pushdown::Superset(c);
		}
		return Pushdown::Exact(c);
	}
	case Family::kDate: {
		auto lit = Literal(family, v);
		if (!lit) {
			return Pushdown::Local();
		}
		Condition c = Condition::Leaf(f.code, OpOf(op), {*lit});
		bool below = op == Comparison::kLt || op == Comparison::kLe || op == Comparison::kNe;
		return below ? Pushdown::Superset(c) : Pushdown::Exact(c);
	}
	case Family::kDateTime:
		return DateTimeCompare(f, op, v);
	case Family::kText:
	case Family::kUser: {
		// Case/width sensitivity of "=" is not verified: "=" is a superset; "!=" could then be
		// a subset, which no local filter repairs, and ordering is collation-dependent.
		if (ordering || op == Comparison::kNe || v.kind != SqlValue::Kind::kText) {
			return Pushdown::Local();
		}
		if (v.text.empty()) {
			return Pushdown::Exact(Condition::False()); // empty text reads as NULL: equals nothing
		}
		auto lit = Literal(family, v);
		if (!lit) {
			return Pushdown::Local();
		}
		// CREATOR/MODIFIER take "in" rather than "=".
		return Pushdown::Superset(Condition::Leaf(f.code, family == Family::kUser ? Op::kIn : Op::kEq, {*lit}));
	}
	case Family::kOption: {
		if (ordering || !f.options_known) {
			return Pushdown::Local();
		}
		switch (CheckOption(f, v)) {
		case OptionCheck::kNotText:
			return Pushdown::Local();
		case OptionCheck::kUnknown:
			return Pushdown::Local(true);
		case OptionCheck::kEmpty:
			return op == Comparison::kEq ? Pushdown::Exact(Condition::False()) : Pushdown::Local();
		case OptionCheck::kOption:
			break;
		}
		// Drop-down and radio button take "in" / "not in" (GAIA_IQ03 for "=") [OBS].
		if (op == Comparison::kEq) {
			Condition c = Condition::Leaf(f.code, Op::kIn, {Value::String(v.text)});
			return HasCaseTwin(f.options, v.text) ? Pushdown::Superset(c) : Pushdown::Exact(c);
		}
		// "not in" may also match unselected records: a superset of SQL's "<>".
		return Pushdown::Superset(Condition::Leaf(f.code, Op::kNotIn, {Value::String(v.text)}));
	}
	default:
		return Pushdown::Local();
	}
}

Pushdown PushIn(const FieldFacts &f, bool negated, const std::vector<std::optional<SqlValue>> &values) {
	Family family = Usable(f);
	if (family != Family::kId && family != Family::kNumber && family != Family::kText && family != Family::kOption &&
	    family != Family::kUser) {
		return Pushdown::Local();
	}
	if (values.empty()) {
		return Pushdown::Local();
	}
	if (negated && (family == Family::kText || family == Family::kUser)) {
		return Pushdown::Local(); // "not in" on text could return a subset (see PushCompare)
	}
	if (family == Family::kOption && !f.options_known) {
		return Pushdown::Local();
	}
	std::vector<Value> literals;
	bool zero = false;
	bool case_twin = false;
	for (const auto &v : values) {
		if (!v) {
			if (negated) {
				return Pushdown::Local(); // x NOT IN (…, NULL) is never true
			}
			continue; // NULL equals nothing
		}
		if ((family == Family::kText || family == Family::kOption || family == Family::kUser) &&
		    v->kind == SqlValue::Kind::kText && v->text.empty()) {
			continue; // empty text reads as NULL: equals nothing
		}
		if (family == Family::kOption) {
			OptionCheck check = CheckOption(f, *v);
			if (check == OptionCheck::kUnknown) {
				return Pushdown::Local(true); // never dropped: re-read the options, else keep it local
			}
			if (check != OptionCheck::kOption) {
				return Pushdown::Local();
			}
			case_twin = case_twin || HasCaseTwin(f.options, v->text);
		}
		auto lit = Literal(family, *v);
		if (!lit) {
			return Pushdown::Local();
		}
		if (family == Family::kNumber && Sign(v->text) == 0) {
			zero = true;
		}
		if (std::find(literals.begin(), literals.end(), *lit) == literals.end()) {
			literals.push_back(std::move(*lit));
		}
	}
	if (literals.empty()) {
		if (negated) {
			return Pushdown::Local();
		}
		return Pushdown::Exact(Condition::False());
	}
	Condition c = Condition::Leaf(f.code, negated ? Op::kNotIn : Op::kIn, std::move(literals));
	if (negated) {
		// Empty values may match "not in" (and $id has none).
		return family == Family::kId ? Pushdown::Exact(c) : Pushdown::Superset(c);
	}
	bool exact =
	    family == Family::kId || (family == Family::kNumber && !zero) || (family == Family::kOption && !case_twin);
	return exact ? Pushdown::Exact(c) : Pushdown::Superset(c);
}

Pushdown PushIsNull(const FieldFacts &f, bool is_null) {
	Family family = Usable(f);
	if (NeverEmpty(f) && family != Family::kNone) {
		return Pushdown::Exact(is_null ? Condition::False() : Condition::True());
	}
	switch (family) {
	case Family::kNumber:
		// An empty NUMBER matches = "" or compares as 0 [UNV]: either way one of these holds.
		if (is_null) {
			return Pushdown::Superset(Condition::Or({Condition::Leaf(f.code, Op::kEq, {Value::String("")}),
			                                         Condition::Leaf(f.code, Op::kEq, {Value::String("0")})}));
		}
		return Pushdown::Superset(Condition::Leaf(f.code, Op::kNe, {Value::String("")}));
	case Family::kOption:
		if (f.type != FieldType::kDropDown) {
			return Pushdown::Local(); // in ("") on RADIO_BUTTON may be refused [UNV]
		}
		return Pushdown::Exact(Condition::Leaf(f.code, is_null ? Op::kIn : Op::kNotIn, {Value::String("")}));
	case Family::kLongText:
		if (!is_null || f.type != FieldType::kMultiLineText) {
			return Pushdown::Local();
		}
		return Pushdown::Superset(Condition::Leaf(f.code, Op::kIsEmpty)); // also white-space-only text
	default:
		return Pushdown::Local();
	}
}

Pushdown PushAnySelected(const FieldFacts &f, const std::vector<std::optional<SqlValue>> &values) {
	if (Usable(f) != Family::kMulti || !f.options_known) {
		return Pushdown::Local();
	}
	std::vector<Value> literals;
	bool case_twin = false;
	for (const auto &v : values) {
		if (!v) {
			continue;
		}
		switch (CheckOption(f, *v)) {
		case OptionCheck::kNotText:
			return Pushdown::Local();
		case OptionCheck::kUnknown:
			return Pushdown::Local(true);
		case OptionCheck::kEmpty:
			continue; // no selection is ""
		case OptionCheck::kOption:
			break;
		}
		case_twin = case_twin || HasCaseTwin(f.options, v->text);
		Value lit = Value::String(v->text);
		if (std::find(literals.begin(), literals.end(), lit) == literals.end()) {
			literals.push_back(std::move(lit));
		}
	}
	if (literals.empty()) {
		return Pushdown::Exact(Condition::False());
	}
	Condition c = Condition::Leaf(f.code, Op::kIn, std::move(literals));
	return case_twin ? Pushdown::Superset(c) : Pushdown::Exact(c);
}

namespace {

bool Searchable(FieldType type) {
	return type == FieldType::kSingleLineText || type == FieldType::kLink || type == FieldType::kMultiLineText ||
	       type == FieldType::kRichText || type == FieldType::kFile;
}

} // namespace

Pushdown PushWordSearch(const FieldFacts &f, bool negated, const SqlValue &words) {
	if (!Searchable(f.type) || words.kind != SqlValue::Kind::kText || !CanQuote(words.text)) {
		return Pushdown::Local();
	}
	return Pushdown::Exact(Condition::Leaf(f.code, negated ? Op::kNotLike : Op::kLike, {Value::String(words.text)}));
}

namespace {

std::shared_ptr<const SlotRule> MakeRule(SlotRule::Kind kind, const FieldFacts &f, Comparison op, bool negated) {
	auto rule = std::make_shared<SlotRule>();
	rule->kind = kind;
	rule->field.code = f.code;
	rule->field.type = f.type;
	rule->field.calc_format = f.calc_format;
	rule->field.column = f.column;
	rule->comparison = op;
	rule->negated = negated;
	return rule;
}

// Whether a value of this kind could be written for the family at all.
bool KindFits(Family family, SqlValue::Kind kind) {
	switch (family) {
	case Family::kId:
		return kind == SqlValue::Kind::kInteger;
	case Family::kNumber:
		return kind == SqlValue::Kind::kInteger || kind == SqlValue::Kind::kDecimal;
	case Family::kText:
		return kind == SqlValue::Kind::kText;
	case Family::kDate:
		return kind == SqlValue::Kind::kDate;
	case Family::kDateTime:
		return kind == SqlValue::Kind::kTimestamp;
	default:
		return false;
	}
}

} // namespace

Pushdown PushCompareSlot(const FieldFacts &f, Comparison op, SqlValue::Kind value_kind, int index) {
	Family family = Usable(f);
	// Option fields and users need their value checked (options, "in") when planning.
	if (!KindFits(family, value_kind)) {
		return Pushdown::Local();
	}
	if (family == Family::kText && op != Comparison::kEq) {
		return Pushdown::Local();
	}
	return Pushdown::Superset(Condition::Slot(index, MakeRule(SlotRule::Kind::kCompare, f, op, false)));
}

Pushdown PushWordSearchSlot(const FieldFacts &f, bool negated, int index) {
	if (!Searchable(f.type)) {
		return Pushdown::Local();
	}
	return Pushdown::Exact(Condition::Slot(index, MakeRule(SlotRule::Kind::kWordSearch, f, Comparison::kEq, negated)));
}

Pushdown PushKeysSlot(const FieldFacts &f) {
	Family family = Usable(f);
	if (family != Family::kId && family != Family::kNumber && family != Family::kText) {
		return Pushdown::Local();
	}
	return Pushdown::Superset(Condition::Slot(-1, MakeRule(SlotRule::Kind::kKeys, f, Comparison::kEq, false)));
}

Condition BindSlot(const SlotRule &rule, const std::optional<SqlValue> &value) {
	if (!value) {
		// A comparison with NULL is never true; negations were moved into the operators when
		// planning, so the leaf is false in Kintone too.
		return Condition::False();
	}
	if (rule.kind == SlotRule::Kind::kWordSearch) {
		Pushdown p = PushWordSearch(rule.field, rule.negated, *value);
		if (p.verdict == Verdict::kLocal) {
			throw Error(ErrorKind::kNotSupported, "kintone_like(): the words cannot be sent to Kintone",
			            "A Kintone query string cannot hold control characters other than tab, newline and "
			            "carriage return.");
		}
		return p.condition;
	}
	if (rule.kind == SlotRule::Kind::kKeys) {
		return BindKeys(rule, {value});
	}
	Pushdown p = PushCompare(rule.field, rule.comparison, *value);
	return p.verdict == Verdict::kLocal ? Condition::True() : p.condition; // re-checked locally
}

Condition BindKeys(const SlotRule &rule, const std::vector<std::optional<SqlValue>> &keys) {
	Pushdown p = PushIn(rule.field, false, keys);
	if (p.verdict == Verdict::kLocal) {
		bool any = std::any_of(keys.begin(), keys.end(), [](const auto &k) { return k.has_value(); });
		return any ? Condition::True() : Condition::False(); // the join re-checks every row
	}
	return p.condition;
}

Condition WidenStaleOptions(const Condition &condition, const FormInfo &form, bool *widened) {
	*widened = false;
	return WidenLeaves(Normalized(condition), [&](const Condition &leaf) {
		const FieldInfo *field = form.Find(leaf.field());
		if (field == nullptr) {
			return false;
		}
		FieldFacts facts;
		facts.type = field->type;
		Family family = FamilyOf(facts);
		if (family != Family::kOption && family != Family::kMulti) {
			return false;
		}
		for (const auto &v : leaf.values()) {
			if (v.kind == Value::Kind::kString && !v.text.empty() && !Contains(field->options, v.text)) {
				*widened = true;
				return true;
			}
		}
		return false;
	});
}

namespace {

void CollectFields(const Condition &c, std::vector<std::string> *out) {
	auto add = [&](const std::string &code) {
		if (std::find(out->begin(), out->end(), code) == out->end()) {
			out->push_back(code);
		}
	};
	switch (c.kind()) {
	case Condition::Kind::kLeaf:
		add(c.field());
		break;
	case Condition::Kind::kSlot:
		if (c.slot_rule()) {
			add(c.slot_rule()->field.code);
		}
		break;
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr:
	case Condition::Kind::kNot:
		for (const auto &child : c.children()) {
			CollectFields(child, out);
		}
		break;
	default:
		break;
	}
}

} // namespace

std::vector<std::string> FieldsOf(const Condition &condition) {
	std::vector<std::string> out;
	CollectFields(condition, &out);
	return out;
}

std::vector<SortKey> PushOrder(const std::vector<std::pair<FieldFacts, bool>> &keys, size_t *usable) {
	// Only $id and CREATED_TIME/UPDATED_TIME are sorted by Kintone as PostgreSQL would (never
	// empty, one unambiguous order); other types' sort order and the place of empty values are
	// not verified [UNV]. So only the first SQL key matters:
	// - $id: unique, so later keys cannot change the order: every key is honoured;
	// - a creation/update time: ordered as shown, but ties within a shown minute may be
	//   ordered by seconds the server keeps [UNV], so no later key can be honoured.
	*usable = 0;
	if (keys.empty()) {
		return {};
	}
	const auto &[field, descending] = keys.front();
	Family family = Usable(field);
	std::vector<SortKey> out;
	if (field.type == FieldType::kId && family == Family::kId) {
		*usable = keys.size();
		return {{field.code, descending}};
	}
	if ((field.type == FieldType::kCreatedTime || field.type == FieldType::kUpdatedTime) &&
	    family == Family::kDateTime) {
		*usable = 1;
		return {{field.code, descending}, {"$id", false}}; // $id: a deterministic order for paging
	}
	return {};
}

} // namespace kintone
