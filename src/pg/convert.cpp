// Datum <-> Kintone text (see convert.hpp): the one place where a column's PostgreSQL type
// meets Kintone's value formats (contract §6.1).
//
// Reading: Kintone's fixed formats ("2026-02-03", "2026-02-03T10:00:00Z", "09:15", whole
// numbers) have fast paths; anything else goes through the type's input function, which stays
// the reference. Writing: dates, times and timestamps are formatted here (Kintone keeps
// minutes, in UTC); every other type goes through its output function.
#include "pg/convert.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}

namespace kintone_fdw {

namespace {

// The value of one cell as a NUL-terminated string in the current memory context.
char *CellText(std::string_view text) {
	return pnstrdup(text.data(), text.size());
}

bool Digits(std::string_view text, size_t pos, size_t n, int *out) {
	int v = 0;
	for (size_t i = pos; i < pos + n; ++i) {
		if (text[i] < '0' || text[i] > '9') {
			return false;
		}
		v = v * 10 + (text[i] - '0');
	}
	*out = v;
	return true;
}

bool ParseDate(std::string_view text, int *y, int *m, int *d) {
	return text.size() >= 10 && text[4] == '-' && text[7] == '-' && Digits(text, 0, 4, y) && Digits(text, 5, 2, m) &&
	       Digits(text, 8, 2, d) && *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= day_tab[isleap(*y)][*m - 1];
}

bool FastScalar(const ColumnConv &c, std::string_view text, Datum *out) {
	int y, m, d, hh, mi, ss;
	switch (c.type) {
	case DATEOID:
		if (text.size() == 10 && ParseDate(text, &y, &m, &d)) {
			*out = DateADTGetDatum(date2j(y, m, d) - POSTGRES_EPOCH_JDATE);
			return true;
		}
		return false;
	case TIMESTAMPTZOID:
		if (text.size() == 20 && text[10] == 'T' && text[13] == ':' && text[16] == ':' && text[19] == 'Z' &&
		    ParseDate(text, &y, &m, &d) && Digits(text, 11, 2, &hh) && Digits(text, 14, 2, &mi) &&
		    Digits(text, 17, 2, &ss) && hh < 24 && mi < 60 && ss < 60 && c.typmod < 0) {
			int64 days = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
			*out = TimestampTzGetDatum((days * SECS_PER_DAY + hh * 3600 + mi * 60 + ss) * USECS_PER_SEC);
			return true;
		}
		return false;
	case NUMERICOID: {
		// Whole numbers (most Kintone NUMBER values) without numeric_in's general parser.
		if (c.typmod >= 0 || text.empty() || text.size() > 18) {
			return false;
		}
		size_t i = text[0] == '-' ? 1 : 0;
		if (i == text.size()) {
			return false;
		}
		int64 v = 0;
		for (; i < text.size(); ++i) {
			if (text[i] < '0' || text[i] > '9') {
				return false;
			}
			v = v * 10 + (text[i] - '0');
		}
		*out = NumericGetDatum(int64_to_numeric(text[0] == '-' ? -v : v));
		return true;
	}
	case TIMEOID:
		if (text.size() == 5 && text[2] == ':' && Digits(text, 0, 2, &hh) && Digits(text, 3, 2, &mi) && hh < 24 &&
		    mi < 60 && c.typmod < 0) {
			*out = TimeADTGetDatum((static_cast<int64>(hh) * 60 + mi) * 60 * USECS_PER_SEC);
			return true;
		}
		return false;
	default:
		return false;
	}
}

Datum ConvertScalar(const ColumnConv &c, std::string_view text) {
	if (c.is_text) {
		return PointerGetDatum(cstring_to_text_with_len(text.data(), static_cast<int>(text.size())));
	}
	Datum fast;
	if (FastScalar(c, text, &fast)) {
		return fast;
	}
	return InputFunctionCall(const_cast<FmgrInfo *>(&c.input), CellText(text), c.ioparam, c.typmod);
}

Datum ConvertArray(const ColumnConv &c, const kintone::RecordReader &reader, const kintone::Cell &cell) {
	size_t n = cell.element_count;
	Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
	for (size_t i = 0; i < n; ++i) {
		std::string_view text = reader.element(cell.first_element + i);
		elems[i] = c.elem_is_text
		               ? PointerGetDatum(cstring_to_text_with_len(text.data(), static_cast<int>(text.size())))
		               : InputFunctionCall(const_cast<FmgrInfo *>(&c.elem_input), CellText(text), c.elem_ioparam, -1);
	}
	return PointerGetDatum(
	    construct_array(elems, static_cast<int>(n), c.elem_type, c.elem_len, c.elem_byval, c.elem_align));
}

[[noreturn]] void OutOfRange(const char *message) {
	ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("%s", message)));
	pg_unreachable();
}

char *DateText(DateADT date) {
	if (DATE_NOT_FINITE(date)) {
		OutOfRange("Kintone cannot store an infinite date");
	}
	int y, m, d;
	j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (y < 1 || y > 9999) {
		OutOfRange("Kintone stores dates of the years 1 to 9999 only");
	}
	return psprintf("%04d-%02d-%02d", y, m, d);
}

// Kintone TIME has minute precision ("HH:MM"): seconds are dropped, as Kintone does.
char *TimeText(TimeADT t, bool *seconds_dropped) {
	if (t % USECS_PER_MINUTE != 0) {
		*seconds_dropped = true;
	}
	return psprintf("%02d:%02d", static_cast<int>(t / USECS_PER_HOUR), static_cast<int>((t / USECS_PER_MINUTE) % 60));
}

// UTC; Kintone stores DATETIME with seconds 00 (contract §6.1), so they are dropped here.
char *TimestampText(Timestamp ts, bool *seconds_dropped) {
	struct pg_tm tm;
	fsec_t fsec;
	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, nullptr, &tm, &fsec, nullptr, nullptr) != 0 || tm.tm_year < 1 ||
	    tm.tm_year > 9999) {
		OutOfRange("Kintone stores timestamps of the years 1 to 9999 only");
	}
	if (tm.tm_sec != 0 || fsec != 0) {
		*seconds_dropped = true;
	}
	return psprintf("%04d-%02d-%02dT%02d:%02d:00Z", tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

// What Kintone cannot store in a field of this type (NaN in a NUMBER, 24:00 in a TIME …):
// refused here, before anything is sent, rather than by Kintone with a generic CB_VA01.
void CheckStorable(kintone::FieldType field, const char *text) {
	const char *reason = kintone::UnstorableReason(field, text);
	if (reason != nullptr) {
		ereport(ERROR, (errcode(field == kintone::FieldType::kTime ? ERRCODE_DATETIME_VALUE_OUT_OF_RANGE
		                                                           : ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("%s", reason)));
	}
}

} // namespace

kintone::ColumnRequest::Shape ShapeFor(Oid type) {
	if (type == JSONBOID || type == JSONOID) {
		return kintone::ColumnRequest::Shape::kJson;
	}
	if (OidIsValid(get_element_type(type))) {
		return kintone::ColumnRequest::Shape::kStringArray;
	}
	return kintone::ColumnRequest::Shape::kScalar;
}

void InitColumnConv(ColumnConv &c, int attnum, const char *name, Oid type, int32 typmod) {
	c.attnum = attnum;
	c.name = name;
	c.type = type;
	c.typmod = typmod;
	c.shape = static_cast<int>(ShapeFor(c.type));
	c.is_text = c.type == TEXTOID;
	Oid infunc;
	getTypeInputInfo(c.type, &infunc, &c.ioparam);
	fmgr_info(infunc, &c.input);
	if (c.shape == static_cast<int>(kintone::ColumnRequest::Shape::kStringArray)) {
		c.elem_type = get_element_type(c.type);
		get_typlenbyvalalign(c.elem_type, &c.elem_len, &c.elem_byval, &c.elem_align);
		c.elem_is_text = c.elem_type == TEXTOID;
		Oid elem_in;
		getTypeInputInfo(c.elem_type, &elem_in, &c.elem_ioparam);
		fmgr_info(elem_in, &c.elem_input);
	}
}

void ConvertRow(const ColumnConv *conv, int nconv, const kintone::RecordReader &reader, size_t row, Datum *values,
                bool *isnull, const ColumnConv **current) {
	for (int i = 0; i < nconv; ++i) {
		const ColumnConv &c = conv[i];
		const kintone::Cell &cell = reader.cell(row, i);
		values[c.attnum - 1] = (Datum)0;
		isnull[c.attnum - 1] = cell.is_null;
		if (cell.is_null) {
			continue;
		}
		*current = &c;
		values[c.attnum - 1] = c.shape == static_cast<int>(kintone::ColumnRequest::Shape::kStringArray)
		                           ? ConvertArray(c, reader, cell)
		                           : ConvertScalar(c, cell.text);
	}
	*current = nullptr;
}

bool DatumFromKintoneText(Oid type, int32 typmod, const char *text, Datum *value) {
	if (text == nullptr || text[0] == '\0') {
		return false;
	}
	Oid in, ioparam;
	getTypeInputInfo(type, &in, &ioparam);
	*value = OidInputFunctionCall(in, const_cast<char *>(text), ioparam, typmod);
	return true;
}

void InitValueConv(ValueConv &c, Oid type) {
	Oid out;
	bool varlena;
	getTypeOutputInfo(type, &out, &varlena);
	fmgr_info(out, &c.out);
	if (type == DATEOID) {
		c.kind = SendKind::kDate;
	} else if (type == TIMEOID) {
		c.kind = SendKind::kTime;
	} else if (type == TIMESTAMPTZOID || type == TIMESTAMPOID) {
		c.kind = SendKind::kTimestamp;
	} else if (type == JSONBOID || type == JSONOID) {
		c.kind = SendKind::kJson;
	} else if (OidIsValid(get_element_type(type))) {
		c.kind = SendKind::kArray;
		c.elem_type = get_element_type(type);
		get_typlenbyvalalign(c.elem_type, &c.elem_len, &c.elem_byval, &c.elem_align);
		getTypeOutputInfo(c.elem_type, &out, &varlena);
		fmgr_info(out, &c.elem_out);
	} else {
		c.kind = SendKind::kText;
	}
}

kintone::ValueShape ValueShapeOf(const ValueConv &c) {
	switch (c.kind) {
	case SendKind::kArray:
		return kintone::ValueShape::kList;
	case SendKind::kJson:
		return kintone::ValueShape::kJson;
	default:
		return kintone::ValueShape::kText;
	}
}

void DatumToKintone(const ValueConv &c, kintone::FieldType field, Datum d, kintone::FieldValue *out,
                    bool *seconds_dropped) {
	out->is_null = false;
	out->text = nullptr;
	out->elems = nullptr;
	out->nelems = 0;
	switch (c.kind) {
	case SendKind::kText:
		out->text = OutputFunctionCall(const_cast<FmgrInfo *>(&c.out), d);
		CheckStorable(field, out->text);
		return;
	case SendKind::kJson:
		out->text = OutputFunctionCall(const_cast<FmgrInfo *>(&c.out), d);
		return;
	case SendKind::kDate:
		out->text = DateText(DatumGetDateADT(d));
		return;
	case SendKind::kTime:
		out->text = TimeText(DatumGetTimeADT(d), seconds_dropped);
		CheckStorable(field, out->text);
		return;
	case SendKind::kTimestamp:
		out->text = TimestampText(DatumGetTimestamp(d), seconds_dropped);
		return;
	case SendKind::kArray: {
		Datum *elems;
		bool *nulls;
		int n;
		deconstruct_array(DatumGetArrayTypeP(d), c.elem_type, c.elem_len, c.elem_byval, c.elem_align, &elems, &nulls,
		                  &n);
		char **texts = static_cast<char **>(palloc(sizeof(char *) * (n > 0 ? n : 1)));
		for (int e = 0; e < n; ++e) {
			if (nulls[e]) {
				ereport(ERROR,
				        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("Kintone cannot store a NULL array element")));
			}
			texts[e] = OutputFunctionCall(const_cast<FmgrInfo *>(&c.elem_out), elems[e]);
		}
		out->elems = texts;
		out->nelems = n;
		return;
	}
	}
}

void InitIdentityConv(FmgrInfo *out, Oid type) {
	Oid func;
	bool varlena;
	getTypeOutputInfo(type, &func, &varlena);
	fmgr_info(func, out);
}

char *IdentityText(FmgrInfo *out, Datum d) {
	return OutputFunctionCall(out, d);
}

} // namespace kintone_fdw
