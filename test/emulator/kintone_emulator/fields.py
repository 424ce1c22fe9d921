"""Field values: what a record write stores and what a record read returns.

The API handlers (server.py) call this module for every record write and read:

* prepare_add / prepare_update turn the client's ``record`` object into the stored
  ``model.Record.values`` dict (see model.py for the representation): defaults (POST only),
  per-type normalisation, validation into an ``errors.FieldErrors``, subtable replace
  semantics, lookups, system fields and CALC / auto-calculated text.
* check_unique / find_by_update_key implement "Prohibit duplicate values" and updateKey.
* format_record / record_json build the response (record_json is the read hot path and is
  cached per record).
* normalize_properties fills the defaults of omitted field settings.

Rules follow ../../shared/kintone-api.md sections 4.3-4.7, 6 and 8.1. Where the contract is
silent the choice is written next to the code as "CHOICE:" so the README can collect them.

Everything derived from an app's form (which fields are writable, options sets, parsed CALC
formulas, output plans) is compiled once per form revision and cached on the App object.
"""

import datetime
import decimal
import itertools
import json
import operator
import re
import uuid
import zoneinfo

from .errors import FieldErrors, KintoneError

# --------------------------------------------------------------------------------------
# Field type families
# --------------------------------------------------------------------------------------

SYSTEM_TYPES = {"RECORD_NUMBER", "CREATOR", "MODIFIER", "CREATED_TIME", "UPDATED_TIME"}
PROCESS_TYPES = {"STATUS", "STATUS_ASSIGNEE", "CATEGORY"}
LAYOUT_TYPES = {"REFERENCE_TABLE", "GROUP", "LABEL", "SPACER", "HR"}
TEXT_TYPES = {"SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "RICH_TEXT", "LINK"}
OPTION_SCALAR = {"RADIO_BUTTON", "DROP_DOWN"}
OPTION_ARRAY = {"CHECK_BOX", "MULTI_SELECT"}
ENTITY_TYPES = {"USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"}
UNIQUE_TYPES = {"SINGLE_LINE_TEXT", "NUMBER", "LINK", "DATE", "DATETIME"}
CALC_FORMATS = {"NUMBER", "NUMBER_DIGIT", "DATETIME", "DATE", "TIME", "HOUR_MINUTE", "DAY_HOUR_MINUTE"}
KNOWN_TYPES = (
    SYSTEM_TYPES | PROCESS_TYPES | LAYOUT_TYPES | TEXT_TYPES | OPTION_SCALAR | OPTION_ARRAY | ENTITY_TYPES
    | {"NUMBER", "CALC", "DATE", "TIME", "DATETIME", "FILE", "SUBTABLE"}
)

# Value read for a code missing from Record.values (model.py). Lists are shared constants:
# format_record output is read-only.
_EMPTY = {
    "NUMBER": "", "CALC": "", "SINGLE_LINE_TEXT": "", "MULTI_LINE_TEXT": "", "RICH_TEXT": "", "LINK": "",
    "CHECK_BOX": [], "MULTI_SELECT": [], "RADIO_BUTTON": None, "DROP_DOWN": None,
    "DATE": None, "TIME": None, "DATETIME": "", "USER_SELECT": [], "ORGANIZATION_SELECT": [],
    "GROUP_SELECT": [], "FILE": [], "SUBTABLE": [], "CATEGORY": [], "STATUS": "", "STATUS_ASSIGNEE": [],
    "CREATOR": {"code": "", "name": ""}, "MODIFIER": {"code": "", "name": ""},
    "CREATED_TIME": "", "UPDATED_TIME": "",
}

_LIST_TYPES = OPTION_ARRAY | ENTITY_TYPES | {"FILE", "SUBTABLE", "CATEGORY", "STATUS_ASSIGNEE"}

ADMIN_ENTITY = {"code": "Administrator", "name": "Administrator"}


def empty_value(ftype):
    """A fresh empty API value of a field type (new list for list types)."""
    if ftype in _LIST_TYPES:
        return []
    v = _EMPTY.get(ftype, "")
    return dict(v) if isinstance(v, dict) else v


def _is_empty(v):
    return v is None or v == "" or v == []


def _truthy(v):
    # Settings are bools on real Kintone, but doc samples use "true" strings.
    return v is True or (isinstance(v, str) and v.lower() == "true")


# --------------------------------------------------------------------------------------
# Write context
# --------------------------------------------------------------------------------------


class WriteContext:
    """Who writes, when, and in which time zone (see prepare_add)."""

    def __init__(self, state, user, app_admin, now, tz):
        self.state = state
        self.user = user
        self.app_admin = bool(app_admin)
        # CREATED_TIME/UPDATED_TIME and defaultNowValue have minute precision.
        self.now = now.astimezone(datetime.timezone.utc).replace(second=0, microsecond=0)
        if tz is None:
            tz = getattr(state, "domain_timezone", None) or "UTC"
        if isinstance(tz, str):
            tz = zoneinfo.ZoneInfo(tz)
        self.tz = tz
        # can_view(app) -> bool: may the writer read that app (a lookup's source)? None = yes
        # (seed loading). The API sets it from the caller: an API-token call needs a token of
        # the source app with "view" as well (contract 3.1, 6.2), a user must be allowed there.
        self.can_view = None

    def entity(self):
        # CHOICE: API-token writes (user None) are logged as Administrator, as real Kintone does.
        if self.user is None:
            return dict(ADMIN_ENTITY)
        return {"code": self.user.code, "name": self.user.name}

    def now_text(self):
        text = self.__dict__.get("_now_text")
        if text is None:
            text = self._now_text = self.now.strftime("%Y-%m-%dT%H:%M:00Z")
        return text

    def local_now(self):
        """('YYYY-MM-DD', 'HH:MM') of now in the caller's time zone (defaultNowValue)."""
        pair = self.__dict__.get("_local_now")
        if pair is None:
            local = self.now.astimezone(self.tz)
            pair = self._local_now = (local.strftime("%Y-%m-%d"), local.strftime("%H:%M"))
        return pair


# --------------------------------------------------------------------------------------
# Scalar parsers (shared by writes, defaults, updateKey and CALC)
# --------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\Z")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?\Z")
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"(Z|z|[+-]\d{2}:?\d{2})?\Z"
)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_number(raw):
    """Client NUMBER value -> normalised string, "" for empty, None when not a number.

    CHOICE: a plain decimal keeps its digits as typed ("1.50" stays "1.50", "+7" -> "7",
    "007" -> "7", ".5" -> "0.5"); exponent notation is expanded ("1.5e1" -> "15"); surrounding
    spaces are dropped. Magnitudes beyond 1e30 / below 1e-30 are rejected as not numbers.
    JSON numbers are accepted.
    """
    if raw.__class__ is str and raw.isascii() and raw.isdigit() and (raw[0] != "0" or raw == "0"):
        return raw  # fast path: a plain canonical integer
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return None
        raw = repr(raw)
    if not isinstance(raw, str):
        return None
    s = raw.strip()
    if s == "":
        return ""
    m = _NUM_RE.match(s)
    if not m:
        return None
    d = decimal.Decimal(s)
    if d != 0 and not (-30 <= d.adjusted() <= 30):
        return None
    if m.group(1):
        d = d.normalize(_DCTX)
    out = format(d, "f")
    if out.startswith("-") and d == 0:
        out = out[1:]
    return out


def parse_date(raw):
    """'2015', '2015-7', '2015-7-5' ... -> 'YYYY-MM-DD'; '' / None -> None; invalid -> False."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        return False
    s = raw.strip()
    if s == "":
        return None
    m = _DATE_RE.match(s)
    if not m:
        return False
    y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return False
    return "%04d-%02d-%02d" % (y, mo, d)


def parse_time(raw):
    """'HH:MM' or 'HH:MM:SS' (seconds dropped) -> 'HH:MM'; '' / None -> None; invalid -> False."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        return False
    s = raw.strip()
    if s == "":
        return None
    m = _TIME_RE.match(s)
    if not m:
        return False
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 23 or mi > 59 or (m.group(3) and int(m.group(3)) > 59):
        return False
    return "%02d:%02d" % (h, mi)


def parse_datetime(raw):
    """Client DATETIME -> aware UTC datetime (seconds kept), None for empty, False if invalid.

    Accepts ...Z, ...+HH:MM / +HHMM, and a bare date (UTC midnight).
    CHOICE: a date-time without offset is taken as UTC.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        return False
    s = raw.strip()
    if s == "":
        return None
    m = _DATETIME_RE.match(s)
    if not m:
        return False
    y, mo, d, h, mi, sec, off = m.groups()
    try:
        dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0),
                               tzinfo=datetime.timezone.utc)
    except ValueError:
        return False
    if off and off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:])
        if oh > 23 or om > 59:
            return False
        dt -= sign * datetime.timedelta(hours=oh, minutes=om)
    return dt


def format_datetime(dt):
    """Stored DATETIME text: UTC with seconds always 00."""
    return dt.strftime("%Y-%m-%dT%H:%M:00Z")


def normalize_datetime(raw):
    """Client DATETIME -> stored text, "" for empty, None when invalid."""
    dt = parse_datetime(raw)
    if dt is None:
        return ""
    if dt is False:
        return None
    return format_datetime(dt)


# --------------------------------------------------------------------------------------
# Compiled form ("schema"), cached on the App
# --------------------------------------------------------------------------------------


class _F:
    """One compiled field property."""

    __slots__ = ("code", "type", "prop", "table", "writable", "required", "options", "min_len", "max_len",
                 "min_val", "max_val", "min_val_text", "max_val_text", "unique", "ast", "calc_format",
                 "is_expr", "inner", "inner_writable", "lookup")

    def __init__(self, code, prop, table=None):
        self.code = code
        self.type = prop.get("type")
        self.prop = prop
        self.table = table
        t = self.type
        self.writable = t in TEXT_TYPES or t in OPTION_SCALAR or t in OPTION_ARRAY or t in ENTITY_TYPES or t in (
            "NUMBER", "DATE", "TIME", "DATETIME", "FILE", "SUBTABLE")
        # CALC and RADIO_BUTTON accept required:true but it is never enforced (contract 6.2).
        self.required = _truthy(prop.get("required")) and self.writable and t not in ("RADIO_BUTTON", "SUBTABLE")
        self.options = None
        if t in OPTION_SCALAR or t in OPTION_ARRAY:
            self.options = _option_labels(prop.get("options"))
        self.min_len = _int_setting(prop.get("minLength")) if t in TEXT_TYPES else None
        self.max_len = _int_setting(prop.get("maxLength")) if t in TEXT_TYPES else None
        self.min_val_text = _str_setting(prop.get("minValue")) if t == "NUMBER" else ""
        self.max_val_text = _str_setting(prop.get("maxValue")) if t == "NUMBER" else ""
        self.min_val = _dec_setting(self.min_val_text)
        self.max_val = _dec_setting(self.max_val_text)
        # unique only survives on these types (others silently dropped) and never inside tables.
        self.unique = _truthy(prop.get("unique")) and t in UNIQUE_TYPES and table is None
        self.is_expr = t == "CALC" or (t == "SINGLE_LINE_TEXT" and bool(prop.get("expression")))
        self.ast = None
        self.calc_format = (prop.get("format") or "NUMBER") if t == "CALC" else None
        if self.is_expr:
            self.writable = False
            self.required = False
        self.inner = []
        self.inner_writable = []
        self.lookup = prop.get("lookup") if isinstance(prop.get("lookup"), dict) else None


def _option_labels(options):
    labels = set()
    if isinstance(options, dict):
        for key, opt in options.items():
            if isinstance(opt, dict) and opt.get("label") is not None:
                labels.add(str(opt["label"]))
            else:
                labels.add(str(key))
    elif isinstance(options, list):
        labels.update(str(o) for o in options)
    return labels


def _str_setting(v):
    return "" if v is None else str(v).strip()


def _int_setting(v):
    s = _str_setting(v)
    try:
        return int(s) if s else None
    except ValueError:
        return None


def _dec_setting(s):
    try:
        return decimal.Decimal(s) if s else None
    except decimal.InvalidOperation:
        return None


class _Schema:
    def __init__(self, app):
        self.key = _schema_key(app)
        self.app_code = app.code
        self.top = []  # record-visible top-level fields in form order
        self.by_code = {}  # every field incl. subtable inner fields (codes are app-unique)
        self.system = {}  # system type -> code
        self.process = []  # enabled STATUS / STATUS_ASSIGNEE / CATEGORY
        self.writable = []  # top-level writable non-table fields
        self.tables = []
        self.unique = []
        self.lookups = []
        self.copy_targets = set()
        self.plans = {}
        for code, prop in app.properties.items():
            if not isinstance(prop, dict):
                continue
            t = prop.get("type")
            if t in LAYOUT_TYPES or t not in KNOWN_TYPES:
                continue
            f = _F(code, prop)
            if t in PROCESS_TYPES:
                if _truthy(prop.get("enabled")):
                    self.process.append(f)
                    self.top.append(f)
                    self.by_code[code] = f
                continue
            self.top.append(f)
            self.by_code[code] = f
            if t in SYSTEM_TYPES:
                self.system[t] = code
            elif t == "SUBTABLE":
                for icode, iprop in (prop.get("fields") or {}).items():
                    if not isinstance(iprop, dict) or iprop.get("type") not in KNOWN_TYPES:
                        continue
                    if iprop.get("type") in LAYOUT_TYPES or iprop.get("type") == "SUBTABLE":
                        continue
                    inf = _F(icode, iprop, table=code)
                    f.inner.append(inf)
                    self.by_code[icode] = inf
                    if inf.writable:
                        f.inner_writable.append(inf)
                self.tables.append(f)
            if f.lookup is not None and t in ("SINGLE_LINE_TEXT", "NUMBER", "LINK"):
                self.lookups.append(f)
                for m in f.lookup.get("fieldMappings") or []:
                    if isinstance(m, dict) and m.get("field"):
                        self.copy_targets.add(m["field"])
            if f.unique:
                self.unique.append(f)
        for code in self.copy_targets:
            f = self.by_code.get(code)
            if f is not None and f.table is None:
                f.writable = False
                f.required = False
        self.writable = [f for f in self.top if f.writable and f.type != "SUBTABLE"]
        self.calc_order = _compile_calcs(self)


def _schema_key(app):
    return (id(app.properties), len(app.properties), app.settings_revision, app.code)


def schema_of(app):
    """The compiled form of app (cached until its properties / settings revision change)."""
    cached = getattr(app, "_fields_schema", None)
    if cached is not None and cached.key == _schema_key(app):
        return cached
    schema = _Schema(app)
    app._fields_schema = schema
    return schema


# --------------------------------------------------------------------------------------
# Per-type normalisation of client values
# --------------------------------------------------------------------------------------


class _Writer:
    """State of one prepare_add / prepare_update call."""

    def __init__(self, app, schema, ctx, errors, prefix, is_add):
        self.app = app
        self.schema = schema
        self.ctx = ctx
        self.errors = errors
        self.prefix = prefix
        self.is_add = is_add
        self.bad = set()  # error bases already reported (no further checks on them)

    # -- keys ----------------------------------------------------------------------------
    def top_base(self, code):
        return "%s.%s" % (self.prefix, code)

    def cell_base(self, table, row, code):
        return "%s.%s.value[%d].value.%s" % (self.prefix, table, row, code)

    # -- normalisation -------------------------------------------------------------------
    def normalize(self, f, raw, base, old):
        """Client value of f -> stored value (errors recorded under base)."""
        t = f.type
        if t == "NUMBER":
            v = parse_number(raw)
            if v is None:
                if f.table is None:
                    # Contract 6.1 [OBS]: two keys at top level.
                    self.errors.add(base + ".value", "required")
                    self.errors.add("%s[%s].value" % (self.prefix, f.code), "numbers_only")
                    self.bad.add(base)
                # Inside a subtable a non-number is silently stored as "".
                return ""
            return v
        if t in TEXT_TYPES:
            return _text(raw)
        if t in OPTION_SCALAR:
            if raw is None or raw == "":
                # DROP_DOWN "" -> null (contract); CHOICE: RADIO_BUTTON the same.
                return None
            v = _text(raw)
            if v not in f.options:
                self.errors.add(base + ".value", "not_in_options", value=v)
                return None
            return v
        if t in OPTION_ARRAY:
            return self.option_array(f, raw, base)
        if t == "DATE":
            v = parse_date(raw)
            if v is False:
                self.errors.add(base + ".value", "date_format")
                self.bad.add(base)
                return None
            return v
        if t == "TIME":
            v = parse_time(raw)
            if v is False:
                self.errors.add(base + ".value", "time_format")
                self.bad.add(base)
                return None
            return v
        if t == "DATETIME":
            v = normalize_datetime(raw)
            if v is None:
                self.errors.add(base + ".value", "datetime_format")
                self.bad.add(base)
                return ""
            return v
        if t in ENTITY_TYPES:
            return self.entities(f, raw, base)
        if t == "FILE":
            return self.files(raw, old)
        return raw

    def option_array(self, f, raw, base):
        if raw is None:
            return []
        if not isinstance(raw, list):
            # CHOICE [UNV]: a non-array value is rejected.
            self.errors.add(base + ".values", "invalid_value")
            self.bad.add(base)
            return []
        out = []
        for i, item in enumerate(raw):
            v = _text(item)
            if v in f.options:
                out.append(v)
            else:
                self.errors.add("%s.values[%d].value" % (base, i), "not_in_options", value=v)
        return out

    def entities(self, f, raw, base):
        if raw is None:
            return []
        key = base + ".values.value"
        if not isinstance(raw, list):
            self.errors.add(base + ".values", "invalid_value")
            self.bad.add(base)
            return []
        state = self.ctx.state
        out = []
        seen = set()
        for item in raw:
            code = item.get("code") if isinstance(item, dict) else item
            code = "" if code is None else str(code)
            name = _entity_name(state, f.type, code)
            if name is None:
                msg = {"USER_SELECT": "user_not_found", "ORGANIZATION_SELECT": "org_not_found",
                       "GROUP_SELECT": "group_not_found"}[f.type]
                self.errors.add(key, msg, value=code)
                self.bad.add(base)
                continue
            if code in seen:  # CHOICE: duplicate entries are stored once.
                continue
            seen.add(code)
            out.append({"code": code, "name": name})
        return out

    def files(self, raw, old):
        """FILE: [{"fileKey"}] -> stored entries.

        CHOICE: when the server keeps uploads in state.files ({fileKey: {"contentType", "name",
        "size"}}) the metadata is taken from there, keys already attached to this record are
        kept as they are, an upload key (file.json POST) is attached under a new download key,
        and any other key raises GAIA_BL01. Without state.files every key is
        accepted and stored as a placeholder (application/octet-stream, name = key, size "0").
        """
        if not isinstance(raw, list):
            return []
        store = getattr(self.ctx.state, "files", None)
        existing = {e.get("fileKey"): e for e in (old or []) if isinstance(e, dict)}
        out = []
        for item in raw:
            key = item.get("fileKey") if isinstance(item, dict) else None
            if key is None:
                continue
            key = str(key)
            if key in existing:
                out.append(dict(existing[key]))
            elif isinstance(store, dict):
                meta = store.get(key)
                if meta is None or meta.get("expires") is not None and meta["expires"] <= self.ctx.state.now():
                    # Unknown, or an upload that expired unattached (contract 4.11: 3 days).
                    raise KintoneError("GAIA_BL01", args={"id": key})
                if meta.get("upload"):
                    # Attaching an upload stores the file under a new download key, which is the
                    # one the record shows (contract 4.11): "<yyyymmddHHMMSS><35 hex>".
                    key = self.ctx.now.strftime("%Y%m%d%H%M%S") + (uuid.uuid4().hex + uuid.uuid4().hex).upper()[:35]
                    meta = dict(meta, upload=False, expires=None, app=self.app.id)
                    store[key] = meta
                out.append({"contentType": meta.get("contentType", "application/octet-stream"),
                            "fileKey": key, "name": meta.get("name", key), "size": str(meta.get("size", "0"))})
            else:
                out.append({"contentType": "application/octet-stream", "fileKey": key, "name": key, "size": "0"})
        return out

    # -- defaults ------------------------------------------------------------------------
    def default(self, f):
        """defaultValue / defaultNowValue of f (POST only, absent keys only)."""
        prop = f.prop
        t = f.type
        ctx = self.ctx
        if t in ("DATE", "TIME", "DATETIME") and _truthy(prop.get("defaultNowValue")):
            if t == "DATETIME":
                return ctx.now_text()
            return ctx.local_now()[0 if t == "DATE" else 1]
        dv = prop.get("defaultValue")
        if t == "NUMBER":
            v = parse_number(dv)
            return v if v is not None else ""
        if t in TEXT_TYPES:
            return _text(dv)
        if t in OPTION_SCALAR:
            v = _text(dv)
            return v if v in f.options else None
        if t in OPTION_ARRAY:
            return [str(x) for x in dv if str(x) in f.options] if isinstance(dv, list) else []
        if t == "DATE":
            v = parse_date(dv)
            return v or None
        if t == "TIME":
            v = parse_time(dv)
            return v or None
        if t == "DATETIME":
            return normalize_datetime(dv) or ""
        if t in ENTITY_TYPES:
            return self.default_entities(f, dv)
        return empty_value(t)

    def default_entities(self, f, dv):
        out = []
        if not isinstance(dv, list):
            return out
        state = self.ctx.state
        user = self.ctx.user
        for item in dv:
            if not isinstance(item, dict):
                continue
            code = str(item.get("code", ""))
            if item.get("type") == "FUNCTION" or code.endswith("()"):
                if code == "LOGINUSER()" and f.type == "USER_SELECT" and user is not None:
                    code = user.code
                elif code == "PRIMARY_ORGANIZATION()" and f.type == "ORGANIZATION_SELECT" and user is not None \
                        and user.primary_organization:
                    code = user.primary_organization
                else:
                    continue
            elif item.get("type") not in (None, {"USER_SELECT": "USER", "ORGANIZATION_SELECT": "ORGANIZATION",
                                                  "GROUP_SELECT": "GROUP"}[f.type]):
                # CHOICE: an organization/group entry in a USER_SELECT default is not expanded.
                continue
            name = _entity_name(state, f.type, code)
            if name is not None and all(e["code"] != code for e in out):
                out.append({"code": code, "name": name})
        return out

    # -- subtables -----------------------------------------------------------------------
    def table(self, tf, raw_rows, old_rows):
        """Contract 6.3: the sent rows replace the table; a row with an existing id keeps its
        omitted inner values; any other row is new (new id, defaults on POST)."""
        if not isinstance(raw_rows, list):
            raw_rows = []  # CHOICE: "value": null (or a non-array) empties the table.
        old_by_id = {}
        for row in old_rows or []:
            if isinstance(row, dict) and row.get("id") is not None:
                old_by_id[str(row["id"])] = row
        rows = []
        for i, raw in enumerate(raw_rows):
            if not isinstance(raw, dict):
                raw = {}
            rid = raw.get("id")
            old = old_by_id.pop(str(rid), None) if rid is not None and rid != "" else None
            cells = raw.get("value")
            if not isinstance(cells, dict):
                cells = {}
            values = dict(old["value"]) if old is not None else {}
            for f in tf.inner:
                if f.is_expr:
                    continue
                base = self.cell_base(tf.code, i, f.code)
                cell = cells.get(f.code)
                if f.writable and isinstance(cell, dict) and "value" in cell:
                    values[f.code] = self.normalize(f, cell["value"], base, values.get(f.code))
                elif old is None:
                    values[f.code] = self.default(f) if self.is_add else empty_value(f.type)
            row_id = str(old["id"]) if old is not None else self.app.allocate_row_id()
            rows.append({"id": row_id, "value": values})
        return rows

    # -- validation ----------------------------------------------------------------------
    def validate_field(self, f, v, base):
        if base in self.bad:
            return
        t = f.type
        if f.required and _is_empty(v):
            if t in ENTITY_TYPES:
                self.errors.add(base + ".values.value", "required")
            elif t in OPTION_ARRAY or t == "FILE":
                self.errors.add(base + ".values", "required")
            else:
                self.errors.add(base + ".value", "required")
            return
        if _is_empty(v):
            return
        if f.max_len is not None and isinstance(v, str) and len(v) > f.max_len:
            self.errors.add(base + ".value", "max_length", n=f.max_len + 1)
        if f.min_len is not None and isinstance(v, str) and len(v) < f.min_len:
            self.errors.add(base + ".value", "min_length", n=f.min_len - 1)
        if t == "NUMBER" and (f.max_val is not None or f.min_val is not None):
            try:
                d = decimal.Decimal(v)
            except decimal.InvalidOperation:
                return
            if f.max_val is not None and d > f.max_val:
                self.errors.add(base + ".value", "max_value", n=f.max_val_text)
            if f.min_val is not None and d < f.min_val:
                self.errors.add(base + ".value", "min_value", n=f.min_val_text)

    def validate(self, values):
        for f in self.schema.writable:
            self.validate_field(f, values.get(f.code), self.top_base(f.code))
        for tf in self.schema.tables:
            for i, row in enumerate(values.get(tf.code) or []):
                cells = row.get("value") or {}
                for f in tf.inner_writable:
                    self.validate_field(f, cells.get(f.code), self.cell_base(tf.code, i, f.code))

    # -- system fields, lookups, calc ----------------------------------------------------
    def system_on_add(self, values, incoming):
        ctx = self.ctx
        system = self.schema.system
        for t in ("CREATOR", "MODIFIER"):
            code = system.get(t)
            if code is None:
                continue
            v = ctx.entity()
            cell = incoming.get(code)
            # CHOICE: client values without app-admin rights are silently ignored.
            if ctx.app_admin and isinstance(cell, dict) and isinstance(cell.get("value"), dict):
                ucode = str(cell["value"].get("code", ""))
                name = _entity_name(ctx.state, "USER_SELECT", ucode)
                if name is None:
                    self.errors.add(self.top_base(code) + ".value", "user_not_found", value=ucode)
                else:
                    v = {"code": ucode, "name": name}
            values[code] = v
        for t in ("CREATED_TIME", "UPDATED_TIME"):
            code = system.get(t)
            if code is None:
                continue
            v = ctx.now_text()
            cell = incoming.get(code)
            if ctx.app_admin and isinstance(cell, dict) and cell.get("value") not in (None, ""):
                dt = normalize_datetime(cell["value"])
                if dt is None:
                    self.errors.add(self.top_base(code) + ".value", "datetime_format")
                else:
                    v = dt
            values[code] = v

    def system_on_update(self, values):
        system = self.schema.system
        if "MODIFIER" in system:
            values[system["MODIFIER"]] = self.ctx.entity()
        if "UPDATED_TIME" in system:
            values[system["UPDATED_TIME"]] = self.ctx.now_text()

    def apply_lookup(self, f, values):
        """Copy the mapped fields from the source record whose key field equals values[f].

        CHOICE: GAIA_LO04 is raised at once, before the record's validation errors are
        reported; lookups inside subtables are not supported (their copy-to fields are plain
        writable fields); a RECORD_NUMBER related field copies the source record id.
        """
        key = values.get(f.code)
        mappings = [m for m in f.lookup.get("fieldMappings") or [] if isinstance(m, dict) and m.get("field")]
        if _is_empty(key):
            for m in mappings:
                target = self.schema.by_code.get(m["field"])
                values[m["field"]] = empty_value(target.type if target else "")
            return
        source = _source_app(self.ctx.state, f.lookup.get("relatedApp"))
        if source is not None and self.ctx.can_view is not None and not self.ctx.can_view(source):
            source = None  # no right to read the source app: same answer as a missing key
        found = _find_source_record(source, f.lookup.get("relatedKeyField"), key) if source else None
        if found is None:
            raise KintoneError("GAIA_LO04", args={"value": key, "field": f.code})
        src_schema = schema_of(source)
        for m in mappings:
            rel = m.get("relatedField")
            rf = src_schema.by_code.get(rel)
            if rel == "$id" or (rf is not None and rf.type == "RECORD_NUMBER"):
                v = str(found.id)
            else:
                v = found.values.get(rel)
                target = self.schema.by_code.get(m["field"])
                v = _deep_copy(v) if v is not None else empty_value(target.type if target else "")
            values[m["field"]] = v


def _text(raw):
    """Text fields store strings. CHOICE: JSON numbers/bools are stringified, null/objects -> ""."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        return parse_number(raw) or str(raw)
    return ""


def _entity_name(state, ftype, code):
    if not code:
        return None
    if ftype == "USER_SELECT":
        u = state.users.get(code)
        return u.name if u is not None else None
    table = state.organizations if ftype == "ORGANIZATION_SELECT" else state.groups
    return table.get(code)


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _source_app(state, related):
    if not isinstance(related, dict):
        return None
    app_id = related.get("app")
    if app_id not in (None, ""):
        try:
            return state.apps.get(int(app_id))
        except (TypeError, ValueError):
            return None
    code = related.get("code")
    if code:
        for app in state.apps.values():
            if app.code == code:
                return app
    return None


def _find_source_record(source, key_field, key):
    """The source record (lowest id) whose key_field equals key, or None."""
    schema = schema_of(source)
    kf = schema.by_code.get(key_field)
    if key_field == "$id" or (kf is not None and kf.type == "RECORD_NUMBER"):
        text = str(key)
        if source.code and text.startswith(source.code + "-"):
            text = text[len(source.code) + 1:]
        try:
            return source.records.get(int(text))
        except ValueError:
            return None
    if kf is None:
        return None
    if kf.unique and isinstance(key, str):
        # relatedKeyField must be unique on real Kintone (GAIA_LO03): use the unique index.
        for rec in _unique_index(source, schema).matches(source, key_field, key):
            return rec
        return None
    match = _value_matcher(kf.type, key)
    if match is None:
        return None
    for rid in source.ids:
        rec = source.records[rid]
        if match(rec.values.get(key_field)):
            return rec
    return None


def _value_matcher(ftype, value):
    """A predicate 'stored value equals value' for unique/lookup/updateKey comparisons.

    NUMBER compares numerically ("1.50" equals "1.5"); other types compare the stored text.
    """
    if ftype in ("NUMBER", "CALC"):
        try:
            d = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            return None

        def match_num(v, d=d):
            if v is None or v == "":
                return False
            try:
                return decimal.Decimal(v) == d
            except decimal.InvalidOperation:
                return False
        return match_num
    text = value if isinstance(value, str) else str(value)
    return lambda v: v == text


# --------------------------------------------------------------------------------------
# Public write API
# --------------------------------------------------------------------------------------


def prepare_add(app, incoming, ctx, errors, prefix):
    """incoming: the client's "record" object ({code: {"value": v}}) or None. Returns the new values dict.

    Applies defaults (only for absent keys), normalisation, validation (adding to errors:
    errors.FieldErrors, keys like f"{prefix}.{code}.value", prefix = "record" or "records[3]"),
    subtable row ids via app.allocate_row_id(), CALC/auto-calc text, lookups, system fields.
    Never allocates the record id. Raises KintoneError GAIA_LO04 (lookup key not found) or
    GAIA_BL01 (unknown fileKey when state.files exists).
    """
    schema = schema_of(app)
    if not isinstance(incoming, dict):
        incoming = {}
    w = _Writer(app, schema, ctx, errors, prefix, True)
    values = {}
    for f in schema.writable:
        cell = incoming.get(f.code)
        # CHOICE: a member without "value" ({} or a bare scalar) counts as absent.
        if isinstance(cell, dict) and "value" in cell:
            values[f.code] = w.normalize(f, cell["value"], w.top_base(f.code), None)
        else:
            values[f.code] = w.default(f)
    for tf in schema.tables:
        cell = incoming.get(tf.code)
        if isinstance(cell, dict) and "value" in cell:
            values[tf.code] = w.table(tf, cell["value"], None)
        else:
            values[tf.code] = []
    w.system_on_add(values, incoming)
    if schema.process and getattr(app, "process", None):
        from . import process  # the first status and its assignee (contract 4.10)
        process.initial_values(app, ctx.state, values)
    for f in schema.lookups:
        w.apply_lookup(f, values)
    compute_calcs(app, values, ctx)
    w.validate(values)
    _note_unique(app, schema, values, None)
    return values


def prepare_update(app, record, incoming, ctx, errors, prefix):
    """Partial update of model.Record record: returns a NEW values dict (record is not modified).

    Only keys present in incoming change; no defaults; validates the merged result (required
    etc.); subtable replace semantics of contract 6.3; MODIFIER/UPDATED_TIME set; lookups
    re-copied when their key is sent; CALC recomputed.
    """
    schema = schema_of(app)
    if not isinstance(incoming, dict):
        incoming = {}
    w = _Writer(app, schema, ctx, errors, prefix, False)
    old = record.values
    values = dict(old)
    for f in schema.writable:
        cell = incoming.get(f.code)
        if isinstance(cell, dict) and "value" in cell:
            values[f.code] = w.normalize(f, cell["value"], w.top_base(f.code), old.get(f.code))
    for tf in schema.tables:
        cell = incoming.get(tf.code)
        if isinstance(cell, dict) and "value" in cell:
            values[tf.code] = w.table(tf, cell["value"], old.get(tf.code))
    w.system_on_update(values)
    for f in schema.lookups:
        cell = incoming.get(f.code)
        if isinstance(cell, dict) and "value" in cell:
            w.apply_lookup(f, values)
    compute_calcs(app, values, ctx)
    w.validate(values)
    _note_unique(app, schema, values, old)
    return values


def _canon(ftype, v):
    """Comparison key of a stored unique-field value (NUMBER numerically: "1.50" == "1.5")."""
    if ftype == "NUMBER":
        try:
            return decimal.Decimal(v)
        except decimal.InvalidOperation:
            return v
    return v


class _UniqueIndex:
    """Index of the values of an app's unique fields, so that unique checks and updateKey
    look-ups do not scan 100,000 records per written record.

    index: code -> canonical value -> set of record ids that held it when they were indexed
    (entries are never removed: every hit is verified against the current record).
    Values written after indexing are noted by prepare_add/prepare_update as "dirty" owners
    (the id of the new values dict, kept alive in refs so that ids stay unique). A check that
    meets a dirty owner other than the values being checked first consolidates (one scan of the
    app that indexes every stored record whose values dict is a noted one); owners still left
    after that (a rolled-back write, or values copied by the caller) make that check scan the
    whole app, which is always correct. A record stored whole (App.add_record: a new one, or a
    deleted one put back by a rollback) is indexed at once and a deleted record's owner dropped
    (App.remove_record), so that deletions leave no owner behind.
    """

    def __init__(self, app, schema):
        self.key = schema.key
        self.fields = {f.code: f.type for f in schema.unique}
        self.index = {code: {} for code in self.fields}
        self.dirty = {code: {} for code in self.fields}
        self.refs = {}
        for rid, rec in app.records.items():
            self._index(rid, rec.values)

    def _index(self, rid, values):
        for code, ftype in self.fields.items():
            v = values.get(code)
            if isinstance(v, str) and v != "":
                self.index[code].setdefault(_canon(ftype, v), set()).add(rid)

    def note(self, values, old):
        added = False
        for code, ftype in self.fields.items():
            v = values.get(code)
            if not isinstance(v, str) or v == "" or (old is not None and old.get(code) == v):
                continue
            self.dirty[code].setdefault(_canon(ftype, v), set()).add(id(values))
            added = True
        if added:
            self.refs[id(values)] = values

    def stored(self, rid, values):
        """A record stored whole (a new record, or a deleted one put back by a rollback):
        indexed now, so its values need no dirty owner any more."""
        self._index(rid, values)
        self.forget(values)

    def forget(self, values):
        """Drops the dirty owner of a values dict that was stored (then indexed) or deleted: a
        deleted record's owner would otherwise stay, and every check of its values would scan
        the whole app."""
        key = id(values)
        if self.refs.pop(key, None) is None:
            return
        for code, ftype in self.fields.items():
            v = values.get(code)
            if isinstance(v, str) and v != "":
                cv = _canon(ftype, v)
                owners = self.dirty[code].get(cv)
                if owners is not None:
                    owners.discard(key)
                    if not owners:
                        del self.dirty[code][cv]

    def consolidate(self, app):
        refs = self.refs
        found = [(rid, rec.values) for rid, rec in app.records.items() if refs.get(id(rec.values)) is rec.values]
        for rid, values in found:
            self.stored(rid, values)

    def _foreign(self, code, cv, self_values):
        owners = self.dirty[code].get(cv)
        return bool(owners) and (len(owners) > 1 or id(self_values) not in owners)

    def matches(self, app, code, value, self_values=None):
        """Stored records whose value of code equals value, ascending by id."""
        ftype = self.fields[code]
        cv = _canon(ftype, value)
        if self._foreign(code, cv, self_values):
            self.consolidate(app)
        if self._foreign(code, cv, self_values):
            candidates = app.ids
        else:
            candidates = sorted(self.index[code].get(cv, ()))
        records = app.records
        for rid in candidates:
            rec = records.get(rid)
            if rec is not None:
                v = rec.values.get(code)
                if isinstance(v, str) and v != "" and _canon(ftype, v) == cv:
                    yield rec


def _unique_index(app, schema):
    idx = getattr(app, "_fields_unique", None)
    if idx is None or idx.key != schema.key:
        idx = _UniqueIndex(app, schema)
        app._fields_unique = idx
    return idx


def _note_unique(app, schema, values, old):
    if schema.unique:
        _unique_index(app, schema).note(values, old)


def check_unique(app, values, errors, prefix, exclude_id=None, pending=()):
    """Adds 'unique' errors for fields with unique: true whose non-empty value exists in another
    stored record (not exclude_id) or in one of pending (values dicts of earlier records of the
    same batch). "" never collides; NUMBER values compare numerically."""
    schema = schema_of(app)
    if not schema.unique:
        return
    idx = None
    for f in schema.unique:
        v = values.get(f.code)
        if not isinstance(v, str) or v == "":
            continue
        cv = _canon(f.type, v)
        clash = False
        for p in pending:
            pv = p.get(f.code)
            if isinstance(pv, str) and pv != "" and _canon(f.type, pv) == cv:
                clash = True
                break
        if not clash:
            idx = idx or _unique_index(app, schema)
            for rec in idx.matches(app, f.code, v, values):
                if rec.id != exclude_id:
                    clash = True
                    break
        if clash:
            errors.add("%s.%s.value" % (prefix, f.code), "unique")


def find_by_update_key(app, update_key, errors, prefix):
    """updateKey {"field", "value"} -> model.Record or None (not found).

    The field must be a top-level unique-enabled SINGLE_LINE_TEXT or NUMBER (the only types
    update-record(s) accept for updateKey [DOC], although LINK/DATE/DATETIME may be unique).
    CHOICE: otherwise the error key is "updateKey.field" (prefix "" or "record", single PUT)
    or "<prefix>.updateKey.field" (e.g. "records[3].updateKey.field") with message
    update_key_not_unique. A NUMBER value is normalised like a written one; an empty or
    malformed value finds nothing.
    """
    p = "" if prefix in (None, "", "record") else prefix + "."
    if not isinstance(update_key, dict):
        errors.add(p + "updateKey", "required_field")
        return None
    schema = schema_of(app)
    code = update_key.get("field")
    f = schema.by_code.get(code) if isinstance(code, str) else None
    if f is None or not f.unique or f.table is not None or f.type not in ("SINGLE_LINE_TEXT", "NUMBER"):
        errors.add(p + "updateKey.field", "update_key_not_unique")
        return None
    raw = update_key.get("value")
    v = parse_number(raw) if f.type == "NUMBER" else _text(raw)
    if v in (None, ""):
        return None
    for rec in _unique_index(app, schema).matches(app, code, v):
        return rec
    return None


# --------------------------------------------------------------------------------------
# CALC / auto-calculated text (contract 6.5)
# --------------------------------------------------------------------------------------

_DCTX = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_UP, Emax=999999, Emin=-999999)
_Q4 = decimal.Decimal("0.0001")
_ZERO = decimal.Decimal(0)
_ONE = decimal.Decimal(1)


class _CalcError(Exception):
    pass


_TOKEN_RE = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<str>"(?:[^"\\]|\\.)*")'
    r'|(?P<op><>|!=|<=|>=|[-+*/^&=<>(),])|(?P<ident>[^\s\-+*/^&=<>(),"!]+))'
)


def _tokenize(text):
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise _CalcError("syntax")
        pos = m.end()
        if m.group("num") is not None:
            tokens.append(("num", decimal.Decimal(m.group("num"))))
        elif m.group("str") is not None:
            tokens.append(("str", re.sub(r"\\(.)", r"\1", m.group("str")[1:-1])))
        elif m.group("op") is not None:
            tokens.append(("op", m.group("op")))
        else:
            tokens.append(("ident", m.group("ident")))
    return tokens


class _Parser:
    """Precedence (lowest first): comparison, &, + -, * /, unary -, ^.

    CHOICE: unary minus binds looser than ^ (-2^2 = -4), as in mathematics.
    """

    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, op):
        if self.take() != ("op", op):
            raise _CalcError("syntax")

    def parse(self):
        node = self.comparison()
        if self.i != len(self.t):
            raise _CalcError("syntax")
        return node

    def comparison(self):
        node = self.concat()
        while self.peek()[0] == "op" and self.peek()[1] in ("=", "!=", "<>", "<", "<=", ">", ">="):
            op = self.take()[1]
            node = ("bin", "!=" if op == "<>" else op, node, self.concat())
        return node

    def concat(self):
        node = self.additive()
        while self.peek() == ("op", "&"):
            self.take()
            node = ("bin", "&", node, self.additive())
        return node

    def additive(self):
        node = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            node = ("bin", op, node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            node = ("bin", op, node, self.unary())
        return node

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        if self.peek() == ("op", "+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        node = self.primary()
        if self.peek() == ("op", "^"):
            self.take()
            node = ("bin", "^", node, self.unary())
        return node

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            return ("num", val)
        if kind == "str":
            return ("str", val)
        if kind == "op" and val == "(":
            node = self.comparison()
            self.expect(")")
            return node
        if kind == "ident":
            if self.peek() == ("op", "("):
                self.take()
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.comparison())
                    while self.peek() == ("op", ","):
                        self.take()
                        args.append(self.comparison())
                self.expect(")")
                return ("call", val.upper(), args)
            upper = val.upper()
            if upper in ("TRUE", "FALSE"):
                return ("bool", upper == "TRUE")
            return ("ref", val)
        raise _CalcError("syntax")


def parse_formula(text):
    """Kintone formula text -> AST tuple. Raises ValueError on a syntax error."""
    try:
        return _Parser(_tokenize(text or "")).parse()
    except _CalcError as e:
        raise ValueError(str(e)) from None


def _refs(node, out):
    kind = node[0]
    if kind == "ref":
        out.add(node[1])
    elif kind == "neg":
        _refs(node[1], out)
    elif kind == "bin":
        _refs(node[2], out)
        _refs(node[3], out)
    elif kind == "call":
        for a in node[2]:
            _refs(a, out)
    return out


def _compile_calcs(schema):
    """Parse every CALC / text-expression field and order them so that references come first.
    Fields in a reference cycle or with a syntax error keep ast None (their value is "")."""
    nodes = {}
    for f in schema.by_code.values():
        if f.is_expr:
            try:
                f.ast = parse_formula(f.prop.get("expression", ""))
            except ValueError:
                f.ast = None
            nodes[f.code] = f
    order, state = [], {}

    def visit(code):
        st = state.get(code)
        if st == 2:
            return True
        if st == 1:
            return False  # cycle
        state[code] = 1
        f = nodes[code]
        ok = True
        if f.ast is not None:
            for dep in _refs(f.ast, set()):
                if dep in nodes and not visit(dep):
                    ok = False
        if not ok:
            f.ast = None
        state[code] = 2
        order.append(f)
        return ok

    for code in nodes:
        visit(code)
    return order


def compute_calcs(app, values, ctx=None):
    """Recompute every CALC and expression text field of values in place (subtable ones per row)."""
    schema = schema_of(app)
    if not schema.calc_order:
        return
    tz = ctx.tz if ctx is not None else datetime.timezone.utc
    with decimal.localcontext(_DCTX):
        for f in schema.calc_order:
            if f.table is None:
                values[f.code] = _evaluate(schema, f, values, None, tz)
            else:
                rows = values.get(f.table) or []
                new_rows = []
                for row in rows:
                    cells = dict(row.get("value") or {})
                    cells[f.code] = _evaluate(schema, f, values, cells, tz)
                    new_rows.append({"id": row.get("id"), "value": cells})
                values[f.table] = new_rows


def _evaluate(schema, f, values, row, tz):
    if f.ast is None:
        return ""
    try:
        result = _Eval(schema, values, row, f.table, tz).ev(f.ast)
        if f.type == "CALC":
            return _format_calc(result, f.calc_format)
        return _to_text(result)
    except (_CalcError, decimal.DecimalException, ArithmeticError, ValueError, TypeError, RecursionError,
            OverflowError):
        # Unsupported constructs and calculation errors (#ERROR!, #VALUE!...) read as "".
        return ""


def _field_operand(ftype, fmt, v):
    """Stored value -> formula operand: Decimal, str, list or None (empty date/time)."""
    if ftype == "NUMBER":
        return decimal.Decimal(v) if v not in (None, "") else _ZERO
    if ftype == "CALC":
        if v in (None, ""):
            return None
        if fmt in ("DATETIME", "DATE", "TIME", "HOUR_MINUTE", "DAY_HOUR_MINUTE"):
            return _time_operand(fmt, v)
        return decimal.Decimal(v)
    if ftype == "DATE":
        return _time_operand("DATE", v) if v else None
    if ftype in ("DATETIME", "CREATED_TIME", "UPDATED_TIME"):
        return _time_operand("DATETIME", v) if v else None
    if ftype == "TIME":
        return _time_operand("TIME", v) if v else None
    if ftype in OPTION_ARRAY:
        return list(v or [])
    if ftype in ("SINGLE_LINE_TEXT", "DROP_DOWN", "RADIO_BUTTON", "MULTI_LINE_TEXT", "LINK"):
        return v if v is not None else ""
    raise _CalcError("field type not usable in formulas")


def _time_operand(fmt, v):
    """DATE/DATETIME -> Unix seconds (DATE at UTC midnight); TIME/HOUR_MINUTE -> seconds."""
    if fmt == "DATE":
        d = datetime.date.fromisoformat(v)
        return decimal.Decimal((d - datetime.date(1970, 1, 1)).days * 86400)
    if fmt == "DATETIME":
        dt = parse_datetime(v)
        if not dt:
            raise _CalcError("bad datetime")
        return decimal.Decimal(int((dt - _EPOCH).total_seconds()))
    neg = v.startswith("-")
    h, _, m = v.lstrip("-").partition(":")
    secs = int(h) * 3600 + int(m) * 60
    return decimal.Decimal(-secs if neg else secs)


class _Eval:
    def __init__(self, schema, values, row, table, tz):
        self.tz = tz  # the writer's time zone: DATE_FORMAT(..., "system")
        self.schema = schema
        self.values = values
        self.row = row  # cells of the current row when evaluating a field inside a subtable
        self.table = table

    def ref(self, code):
        f = self.schema.by_code.get(code)
        if f is None:
            raise _CalcError("unknown field")
        if f.table is not None:
            if f.table == self.table:
                return _field_operand(f.type, f.calc_format, self.row.get(code))
            # A column of a table read from outside it is an array (only SUM etc. accept it).
            rows = self.values.get(f.table) or []
            return [_field_operand(f.type, f.calc_format, (r.get("value") or {}).get(code)) for r in rows]
        return _field_operand(f.type, f.calc_format, self.values.get(code))

    def ev(self, node):
        kind = node[0]
        if kind == "num" or kind == "str" or kind == "bool":
            return node[1]
        if kind == "ref":
            return self.ref(node[1])
        if kind == "neg":
            return -_num(self.ev(node[1]))
        if kind == "bin":
            return self.binary(node[1], node[2], node[3])
        if kind == "call":
            return self.call(node[1], node[2])
        raise _CalcError("node")

    def binary(self, op, a_node, b_node):
        a = self.ev(a_node)
        b = self.ev(b_node)
        if op == "&":
            return _to_text(a) + _to_text(b)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return _compare(op, a, b)
        x, y = _num(a), _num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise _CalcError("division by zero")
            return (x / y).quantize(_Q4)  # quotients are rounded to 4 decimals [OBS]
        if op == "^":
            n = int(y)  # the exponent's fraction is dropped [OBS 4^1.5 = 4]
            if abs(n) > 100:
                raise _CalcError("exponent range")
            return x ** n
        raise _CalcError("op")

    def call(self, name, args):
        if name == "IF":
            if len(args) != 3:
                raise _CalcError("IF arity")
            return self.ev(args[1]) if _bool(self.ev(args[0])) else self.ev(args[2])
        if name == "AND":
            return all(_bool(self.ev(a)) for a in args) if args else _fail()
        if name == "OR":
            return any(_bool(self.ev(a)) for a in args) if args else _fail()
        if name == "NOT":
            if len(args) != 1:
                raise _CalcError("NOT arity")
            return not _bool(self.ev(args[0]))
        if name == "SUM":
            total = _ZERO
            for a in args:
                v = self.ev(a)
                if isinstance(v, list):
                    for item in v:
                        total += _num(item)
                else:
                    total += _num(v)
            return total
        if name in ("ROUND", "ROUNDUP", "ROUNDDOWN"):
            if len(args) not in (1, 2):
                raise _CalcError("arity")
            x = _num(self.ev(args[0]))
            digits = int(_num(self.ev(args[1]))) if len(args) == 2 else 0
            mode = {"ROUND": decimal.ROUND_HALF_UP, "ROUNDUP": decimal.ROUND_UP,
                    "ROUNDDOWN": decimal.ROUND_DOWN}[name]
            return x.quantize(decimal.Decimal(1).scaleb(-digits), rounding=mode)
        if name == "CONTAINS":
            if len(args) != 2:
                raise _CalcError("arity")
            hay = self.ev(args[0])
            needle = _to_text(self.ev(args[1]))
            if not isinstance(hay, list):
                raise _CalcError("CONTAINS needs a multi-choice field")
            return needle in hay
        if name == "DATE_FORMAT":
            if len(args) != 3:
                raise _CalcError("arity")
            secs = _num(self.ev(args[0]))
            pattern = self.ev(args[1])
            zone = self.ev(args[2])
            if not isinstance(pattern, str) or not isinstance(zone, str):
                raise _CalcError("DATE_FORMAT arguments")
            return _date_format(secs, pattern, zone, self.tz)
        if name == "YEN":
            if len(args) not in (1, 2):
                raise _CalcError("arity")
            x = _num(self.ev(args[0]))
            digits = int(_num(self.ev(args[1]))) if len(args) == 2 else 0
            x = x.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP)
            # CHOICE [UNV]: "¥" + digit grouping, decimals kept when digits > 0.
            return "¥" + format(x if digits > 0 else x.to_integral_value(), ",f")
        raise _CalcError("unsupported function %s" % name)


_DATE_TOKENS = re.compile(r"YYYY|YY|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|a|'[^']*'")


def _date_format(secs, pattern, zone, default_tz):
    """DATE_FORMAT(unix seconds, Java-style pattern, "Asia/Tokyo" | "UTC" | "system")."""
    if zone == "system":
        tz = default_tz
    elif zone in ("UTC", "Etc/UTC", "GMT"):
        tz = datetime.timezone.utc
    else:
        try:
            tz = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _CalcError("unknown time zone") from None
    dt = (_EPOCH + datetime.timedelta(seconds=int(secs))).astimezone(tz)

    def token(m):
        t = m.group(0)
        if t.startswith("'"):
            return t[1:-1]
        h12 = dt.hour % 12 or 12
        return {"YYYY": "%04d" % dt.year, "YY": "%02d" % (dt.year % 100), "MM": "%02d" % dt.month,
                "M": str(dt.month), "dd": "%02d" % dt.day, "d": str(dt.day), "HH": "%02d" % dt.hour,
                "H": str(dt.hour), "hh": "%02d" % h12, "h": str(h12), "mm": "%02d" % dt.minute,
                "m": str(dt.minute), "ss": "%02d" % dt.second, "s": str(dt.second),
                "a": "AM" if dt.hour < 12 else "PM"}[t]
    return _DATE_TOKENS.sub(token, pattern)


def _fail():
    raise _CalcError("arity")


def _num(v):
    if isinstance(v, bool):
        return _ONE if v else _ZERO
    if isinstance(v, decimal.Decimal):
        return v
    raise _CalcError("not a number")  # strings, arrays and empty dates


def _bool(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, decimal.Decimal):
        return v != 0
    raise _CalcError("not a boolean")


def _compare(op, a, b):
    if isinstance(a, list) or isinstance(b, list):
        raise _CalcError("array comparison")
    if isinstance(a, str) or isinstance(b, str):
        # CHOICE: comparisons with a string compare text ("=" / "!=" only).
        x, y = _to_text(a), _to_text(b)
        if op == "=":
            return x == y
        if op == "!=":
            return x != y
        raise _CalcError("ordering strings")
    x, y = _num(a), _num(b)
    return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _fmt_num(d):
    if d == 0:
        return "0"
    out = format(d.normalize(), "f")
    return out


def _to_text(v):
    """Operand -> text for & and for SINGLE_LINE_TEXT expressions.

    CHOICE: booleans read "1"/"0" and DATE/DATETIME references read as Unix seconds, as in CALC.
    """
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, decimal.Decimal):
        return _fmt_num(v)
    if v is None:
        return ""
    raise _CalcError("array as text")


def _format_calc(v, fmt):
    """A CALC result by format (contract 6.5); strings, arrays and empties give ""."""
    if isinstance(v, bool):
        v = _ONE if v else _ZERO
    if not isinstance(v, decimal.Decimal):
        return ""
    if fmt in ("NUMBER", "NUMBER_DIGIT", None, ""):
        return _fmt_num(v)
    secs = int(v.to_integral_value(rounding=decimal.ROUND_FLOOR))
    if fmt == "DATETIME":
        return format_datetime(_EPOCH + datetime.timedelta(seconds=secs))
    if fmt == "DATE":
        # CHOICE [UNV]: the date is taken in UTC.
        return (_EPOCH + datetime.timedelta(seconds=secs)).strftime("%Y-%m-%d")
    if fmt == "TIME":
        secs %= 86400
        return "%02d:%02d" % (secs // 3600, secs % 3600 // 60)
    if fmt in ("HOUR_MINUTE", "DAY_HOUR_MINUTE"):
        # CHOICE: hours are at least two digits, negative durations get a leading "-".
        sign = "-" if secs < 0 else ""
        secs = abs(secs)
        return "%s%02d:%02d" % (sign, secs // 3600, secs % 3600 // 60)
    return ""


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _plan(schema, fields):
    """Output plan: [(kind, code, type, empty)] for the listed fields (None = all)."""
    key = tuple(fields) if fields is not None else None
    plan = schema.plans.get(key)
    if plan is not None:
        return plan
    full = []
    for f in schema.top:
        if f.type == "RECORD_NUMBER":
            full.append(("recno", f.code, f.type, None))
        elif f.type == "SUBTABLE":
            inner = tuple((i.code, i.type, _EMPTY.get(i.type, "")) for i in f.inner)
            full.append(("table", f.code, f.type, inner))
        else:
            full.append(("plain", f.code, f.type, _EMPTY.get(f.type, "")))
    specials = {"$id": ("id", "$id", "__ID__", None), "$revision": ("rev", "$revision", "__REVISION__", None)}
    if fields is None:
        plan = full + [specials["$id"], specials["$revision"]]
    else:
        wanted = set(fields)
        plan = [p for p in full if p[1] in wanted]
        for code in ("$id", "$revision"):
            if code in wanted:
                plan.append(specials[code])
    if len(schema.plans) > 64:
        schema.plans.clear()
    schema.plans[key] = plan
    return plan


def format_record(app, record, fields=None):
    """The response dict of one record: {code: {"type": T, "value": v}, ...}.

    Includes "$id" (__ID__), "$revision" (__REVISION__), the RECORD_NUMBER field ("APPCODE-12"
    when the app has a code), CREATOR/MODIFIER/CREATED_TIME/UPDATED_TIME and every form field;
    a missing value reads as the type's empty value (CHOICE: also for a never computed CALC,
    which reads ""). fields: list of codes or None (= all); with a list only those are returned
    ("$id"/"$revision" only if listed; unknown codes and subtable inner codes ignored).
    STATUS/STATUS_ASSIGNEE/CATEGORY only when enabled. The result shares stored values: read-only.
    """
    schema = schema_of(app)
    values = record.values
    out = {}
    for kind, code, ftype, empty in _plan(schema, fields):
        if kind == "plain":
            out[code] = {"type": ftype, "value": values.get(code, empty)}
        elif kind == "table":
            rows = []
            for row in values.get(code) or ():
                cells = row.get("value") or {}
                rows.append({"id": row.get("id"), "value": {
                    icode: {"type": itype, "value": cells.get(icode, iempty)} for icode, itype, iempty in empty}})
            out[code] = {"type": ftype, "value": rows}
        elif kind == "recno":
            rid = str(record.id)
            out[code] = {"type": ftype, "value": "%s-%s" % (app.code, rid) if app.code else rid}
        elif kind == "id":
            out[code] = {"type": ftype, "value": str(record.id)}
        else:
            out[code] = {"type": ftype, "value": str(record.revision)}
    return out


# The cold path of record_json writes JSON text directly from precompiled per-field fragments
# ('"code":{"type":"T","value":') instead of building dicts for json.dumps: about 3x faster.
_enc_str = json.encoder.encode_basestring  # C implementation, non-ASCII kept as is


def _enc_scalar(v):
    if v.__class__ is str:
        return _enc_str(v)
    if v is None:
        return "null"
    return _ENCODER.encode(v)


def _enc_str_list(v):
    if v.__class__ is list:
        if not v:
            return "[]"
        try:
            return "[" + ",".join([_enc_str(x) for x in v]) + "]"
        except TypeError:
            pass
    return _ENCODER.encode(v)


def _enc_entity(v):
    if v.__class__ is dict and len(v) == 2 and "code" in v and "name" in v:
        try:
            return '{"code":' + _enc_str(v["code"]) + ',"name":' + _enc_str(v["name"]) + "}"
        except TypeError:
            pass
    return _ENCODER.encode(v)


def _enc_entity_list(v):
    if v.__class__ is list:
        return "[" + ",".join([_enc_entity(x) for x in v]) + "]"
    return _ENCODER.encode(v)


_STR_LIST_TYPES = OPTION_ARRAY | {"CATEGORY"}
_ENTITY_LIST_TYPES = ENTITY_TYPES | {"STATUS_ASSIGNEE"}


def _encoder_for(ftype):
    if ftype in _STR_LIST_TYPES:
        return _enc_str_list
    if ftype in _ENTITY_LIST_TYPES:
        return _enc_entity_list
    if ftype in ("CREATOR", "MODIFIER"):
        return _enc_entity
    if ftype == "FILE":
        return _ENCODER.encode
    return _enc_scalar


def _head(code, ftype):
    return _enc_str(code) + ':{"type":' + _enc_str(ftype) + ',"value":'


def _json_plan(schema, fields):
    key = ("json", tuple(fields) if fields is not None else None)
    plan = schema.plans.get(key)
    if plan is not None:
        return plan
    plan = []
    for kind, code, ftype, empty in _plan(schema, fields):
        if kind == "table":
            inner = tuple((icode, _head(icode, itype), _encoder_for(itype), iempty) for icode, itype, iempty in empty)
            plan.append((kind, code, _head(code, ftype), None, inner))
        else:
            plan.append((kind, code, _head(code, ftype), _encoder_for(ftype), empty))
    schema.plans[key] = plan
    return plan


def _fragments(app, record, plan):
    """The JSON fragments '"code":{"type":"T","value":V}' of one record, in plan order."""
    get = record.values.get
    out = []
    append = out.append
    for kind, code, head, enc, empty in plan:
        if kind == "plain":
            append(head + enc(get(code, empty)) + "}")
        elif kind == "table":
            rows = []
            for row in get(code) or ():
                cells = row.get("value") or {}
                cget = cells.get
                rows.append('{"id":' + _enc_scalar(row.get("id")) + ',"value":{' + ",".join(
                    [ihead + ienc(cget(icode, iempty)) + "}" for icode, ihead, ienc, iempty in empty]) + "}}")
            append(head + "[" + ",".join(rows) + "]}")
        elif kind == "recno":
            rid = str(record.id)
            append(head + _enc_str("%s-%s" % (app.code, rid) if app.code else rid) + "}")
        elif kind == "id":
            append(head + '"%d"}' % record.id if isinstance(record.id, int) else head + _enc_str(str(record.id)) + "}")
        else:
            append(head + _enc_str(str(record.revision)) + "}")
    return out


def _record_text(app, record, fields):
    """The same JSON as _ENCODER.encode(format_record(app, record, fields)), built directly."""
    return "{" + ",".join(_fragments(app, record, _json_plan(schema_of(app), fields))) + "}"


# Record JSON cache. record.cache = (schema, revision, text, bounds): text is the UTF-8 JSON of
# the whole record (every field, $id, $revision: the fields=None output) and bounds[i + 1] the
# end offset in text of field i of the full plan (bounds[0] = 0), so field i is
# text[bounds[i] + 1:bounds[i + 1]] and a run of adjacent fields i..j (with the commas between
# them) is text[bounds[i] + 1:bounds[j + 1]]. Any `fields` subset is then a few C-level byte
# slices and one join, whatever subsets were asked before: the text is built once per record
# revision and form revision (warm_record does it when a record is written; a read otherwise).
_add = operator.add


class _Template:
    """The full plan compiled for _cache_entry: value getters, a bytes %-template with the
    constant parts ('"code":{"type":"T","value":' ... '}') and their lengths."""

    def __init__(self, schema):
        plan = _json_plan(schema, None)
        self.getters = []  # (kind, code, enc, empty); kind 0 = plain field
        heads = []
        for kind, code, head, enc, empty in plan:
            self.getters.append((0 if kind == "plain" else kind, code, enc, empty))
            heads.append(head.encode("utf-8"))
        self.template = b"{" + b",".join(h.replace(b"%", b"%%") + b"%b}" for h in heads) + b"}"
        # Field i spans len(head) + len(value) + 1 ("}") bytes, plus 1 for the "{" or "," before it.
        self.fixed = [len(h) + 2 for h in heads]


def _special(app, record, kind, code, empty, get):
    """JSON of a non-plain entry of the plan (subtable, record number, $id, $revision)."""
    if kind == "table":
        rows = []
        for row in get(code) or ():
            cells = row.get("value") or {}
            cget = cells.get
            rows.append('{"id":' + _enc_scalar(row.get("id")) + ',"value":{' + ",".join(
                [ihead + ienc(cget(icode, iempty)) + "}" for icode, ihead, ienc, iempty in empty]) + "}}")
        return "[" + ",".join(rows) + "]"
    if kind == "recno":
        rid = str(record.id)
        return _enc_str("%s-%s" % (app.code, rid) if app.code else rid)
    if kind == "id":
        return '"%d"' % record.id if isinstance(record.id, int) else _enc_str(str(record.id))
    return _enc_str(str(record.revision))


def _cache_entry(schema, app, record):
    tpl = schema.plans.get("template")
    if tpl is None:
        tpl = schema.plans["template"] = _Template(schema)
    get = record.values.get
    vals = [enc(get(code, empty)) if kind == 0 else _special(app, record, kind, code, empty, get)
            for kind, code, enc, empty in tpl.getters]
    # JSON text never holds a raw NUL (it is escaped), so one join/encode/split gives the bytes.
    bvals = "\x00".join(vals).encode("utf-8").split(b"\x00")
    text = tpl.template % tuple(bvals)
    bounds = (0, *itertools.accumulate(map(_add, tpl.fixed, map(len, bvals))))  # tuple: fastest to index
    entry = record.cache = (schema, record.revision, text, bounds)
    return entry


def _runs(schema, fields):
    """None for all fields, else ((i, j + 1), ...): runs of adjacent full-plan indexes (cached)."""
    if fields is None:
        return None
    key = ("runs", tuple(fields))
    runs = schema.plans.get(key)
    if runs is not None:
        return runs
    index = {p[1]: i for i, p in enumerate(_plan(schema, None))}
    wanted = sorted(index[p[1]] for p in _plan(schema, fields))
    out = []
    for i in wanted:
        if out and out[-1][1] == i:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
    runs = tuple((a, b) for a, b in out)
    if len(schema.plans) > 256:
        schema.plans.clear()
    schema.plans[key] = runs
    return runs


def warm_record(app, record):
    """Build the record's JSON cache now (called when a record is stored), so that the first
    read of any field list only slices it."""
    schema = schema_of(app)
    cache = record.cache
    if cache is None or cache[0] is not schema or cache[1] != record.revision:
        _cache_entry(schema, app, record)


def records_json_bytes(app, records, fields=None):
    """UTF-8 JSON of each record (as record_json), the read hot path."""
    schema = schema_of(app)
    runs = _runs(schema, fields)
    out = []
    append = out.append
    for record in records:
        cache = record.cache
        if cache is None or cache[0] is not schema or cache[1] != record.revision:
            cache = _cache_entry(schema, app, record)
        text = cache[2]
        if runs is None:
            append(text)
        elif len(runs) == 1:
            a, b = runs[0]
            bounds = cache[3]
            append(b"{" + text[bounds[a] + 1:bounds[b]] + b"}")
        else:
            bounds = cache[3]
            append(b"{" + b",".join([text[bounds[a] + 1:bounds[b]] for a, b in runs]) + b"}")
    return out


def record_json(app, record, fields=None):
    """JSON text of format_record(...), byte-identical to json.dumps(..., ensure_ascii=False,
    separators=(",", ":")). Served from record.cache (see above)."""
    return records_json_bytes(app, (record,), fields)[0].decode("utf-8")


# --------------------------------------------------------------------------------------
# Field property defaults (contract 6.6)
# --------------------------------------------------------------------------------------

_LOOKUP_DEFAULTS = {"lookupPickerFields": [], "filterCond": "", "sort": "レコード番号 desc", "fieldMappings": []}

_TYPE_DEFAULTS = {
    "SINGLE_LINE_TEXT": {"defaultValue": "", "unique": False, "minLength": "", "maxLength": "", "expression": "",
                         "hideExpression": False},
    "NUMBER": {"defaultValue": "", "unique": False, "minValue": "", "maxValue": "", "digit": False,
               "displayScale": "", "unit": "", "unitPosition": "BEFORE"},
    "CALC": {"expression": "", "hideExpression": False, "format": "NUMBER", "displayScale": "", "unit": "",
             "unitPosition": "BEFORE"},
    "MULTI_LINE_TEXT": {"defaultValue": ""},
    "RICH_TEXT": {"defaultValue": ""},
    "LINK": {"defaultValue": "", "unique": False, "minLength": "", "maxLength": "", "protocol": "WEB"},
    "CHECK_BOX": {"options": {}, "defaultValue": [], "align": "HORIZONTAL"},
    "RADIO_BUTTON": {"options": {}, "defaultValue": "", "align": "HORIZONTAL"},
    "DROP_DOWN": {"options": {}, "defaultValue": ""},
    "MULTI_SELECT": {"options": {}, "defaultValue": []},
    "FILE": {"thumbnailSize": "150"},
    "DATE": {"defaultValue": "", "unique": False, "defaultNowValue": False},
    "DATETIME": {"defaultValue": "", "unique": False, "defaultNowValue": False},
    "TIME": {"defaultValue": "", "defaultNowValue": False},
    "USER_SELECT": {"entities": [], "defaultValue": []},
    "ORGANIZATION_SELECT": {"entities": [], "defaultValue": []},
    "GROUP_SELECT": {"entities": [], "defaultValue": []},
    "GROUP": {"openGroup": False},
    "REFERENCE_TABLE": {"referenceTable": {}},
    "CATEGORY": {"enabled": False},
    "STATUS": {"enabled": False},
    "STATUS_ASSIGNEE": {"enabled": False},
}

_NO_REQUIRED = SYSTEM_TYPES | PROCESS_TYPES | {"SUBTABLE", "REFERENCE_TABLE", "GROUP", "LABEL", "SPACER", "HR"}


def _invalid(key, name):
    fe = FieldErrors()
    fe.add(key, name)
    return KintoneError("CB_VA01", errors=fe)


def normalize_properties(properties):
    """Fill defaults of omitted settings as real Kintone does (contract 6.6) and validate
    minimally (type known; options shape; CALC format). Returns a new dict; raises CB_VA01
    with keys "properties[<code>].<setting>"."""
    if not isinstance(properties, dict):
        raise _invalid("properties", "invalid_value")
    return {code: _normalize_property(code, prop, "properties[%s]" % code) for code, prop in properties.items()}


def _normalize_property(code, prop, key):
    if not isinstance(prop, dict):
        raise _invalid(key, "invalid_value")
    t = prop.get("type")
    if t not in KNOWN_TYPES:
        raise _invalid(key + ".type", "enum")
    out = _deep_copy(prop)
    out["code"] = out.get("code") or code
    out.setdefault("label", code)
    if t not in PROCESS_TYPES:  # STATUS/STATUS_ASSIGNEE/CATEGORY have no noLabel [OBS contract 4.10]
        out.setdefault("noLabel", False)
    if t not in _NO_REQUIRED:
        # RADIO_BUTTON is always required on real Kintone when the setting is omitted [OBS].
        out.setdefault("required", t == "RADIO_BUTTON")
    if t == "SUBTABLE":
        inner = out.get("fields") or {}
        if not isinstance(inner, dict):
            raise _invalid(key + ".fields", "invalid_value")
        out["fields"] = {c: _normalize_property(c, p, "%s.fields[%s]" % (key, c)) for c, p in inner.items()}
        return out
    if isinstance(out.get("lookup"), dict) and t in ("SINGLE_LINE_TEXT", "NUMBER", "LINK"):
        # A lookup field carries the lookup settings instead of its base type's extras.
        lookup = out["lookup"]
        for k, v in _LOOKUP_DEFAULTS.items():
            lookup.setdefault(k, _deep_copy(v))
        related = lookup.get("relatedApp")
        if not isinstance(related, dict):
            raise _invalid(key + ".lookup.relatedApp", "invalid_value")
        related["app"] = str(related.get("app", ""))
        related.setdefault("code", "")
        return out
    for k, v in _TYPE_DEFAULTS.get(t, {}).items():
        out.setdefault(k, _deep_copy(v))
    if "options" in _TYPE_DEFAULTS.get(t, {}):
        out["options"] = _normalize_options(out.get("options"), key + ".options")
        if t == "RADIO_BUTTON" and out.get("defaultValue") in (None, "") and out["options"]:
            first = min(out["options"].values(), key=lambda o: int(o["index"]))
            out["defaultValue"] = first["label"]
    if t == "CALC" and out.get("format") not in CALC_FORMATS:
        raise _invalid(key + ".format", "enum")
    if t not in ("CALC",) and "unique" in out and t not in UNIQUE_TYPES:
        del out["unique"]
    for k in ("minLength", "maxLength", "minValue", "maxValue", "displayScale", "thumbnailSize"):
        if k in out and out[k] is not None and not isinstance(out[k], str):
            out[k] = str(out[k])
    return out


def _normalize_options(options, key):
    """options {key: {"label", "index"}}; a list of labels is accepted too. Index strings."""
    if isinstance(options, list):
        options = {str(o): {"label": str(o), "index": str(i)} for i, o in enumerate(options)}
    if not isinstance(options, dict):
        raise _invalid(key, "invalid_value")
    out = {}
    for i, (k, opt) in enumerate(options.items()):
        if opt is None:
            opt = {}
        if not isinstance(opt, dict):
            raise _invalid("%s.%s" % (key, k), "invalid_value")
        label = opt.get("label", k)
        index = opt.get("index", i)
        try:
            index = str(int(index))
        except (TypeError, ValueError):
            raise _invalid("%s.%s.index" % (key, k), "invalid_value") from None
        out[str(k)] = {"label": str(label), "index": index}
    return out
