"""Kintone REST API endpoint handlers (contract sections 1-5).

dispatch() routes one request (already authenticated and parsed by server.py) to a handler.
Every handler takes a Call and returns either a dict (JSON-encoded by the server) or ready
bytes (the records hot path: record JSON comes pre-encoded from fields.records_json_bytes and is only
joined here, never re-encoded). Handlers raise errors.KintoneError for every error answer.

All handlers run under State.lock (taken in dispatch), so a request sees and leaves a
consistent state. Writes never mutate a stored Record: an update stores a new Record object,
so a Journal of replaced objects is enough to roll back a failed bulkRequest.
"""

import copy
import datetime
import json
import re
import uuid
import zoneinfo

from . import fields as F
from . import model
from . import query as Q
from .errors import FieldErrors, KintoneError, validation_error
from .seed import default_layout, with_system_fields

MAX_WRITE = 100
MAX_BULK = 20
MAX_CURSORS = 10
CURSOR_TTL = datetime.timedelta(minutes=10)
API_PATH = re.compile(r"^/k/(?:guest/([0-9]+)/)?v1/([a-zA-Z/]+)\.json$")


# ---------------------------------------------------------------- request context

def _zone(name):
    """ZoneInfo for a seed time-zone name (ZoneInfo caches instances itself); UTC if unknown."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.timezone.utc


class Call:
    """One API call: the state, the caller and the parameters. Inner bulk calls get their own."""

    def __init__(self, emu, state, principal, guest, params, method, lang, journal=None, accept=None):
        self.emu = emu
        self.state = state
        self.principal = principal
        self.guest = guest  # guest space id from the path, or None
        self.params = params
        self.method = method
        self.lang = lang
        self.accept = accept  # the raw Accept-Language header (None when absent)
        self.journal = journal if journal is not None else Journal()
        self.records_out = 0
        self.fields_out = 0  # fields per record returned (the latency model's input)
        self.headers = []  # extra response headers, e.g. X-Cybozu-Warning

    def tz(self):
        return _zone(self.principal.timezone(self.state))

    def query_ctx(self):
        user = self.principal.user
        return Q.QueryContext(self.state.now(), self.tz(),
                              login_user=user.code if user is not None else None,
                              primary_org=user.primary_organization if user is not None else None,
                              state=self.state)

    def write_ctx(self, app):
        self.journal.touch(app)  # before prepare_* allocates row ids / handlers allocate ids
        ctx = F.WriteContext(self.state, self.principal.user, self.principal.is_app_admin(app),
                             self.state.now(), self.tz())
        ctx.can_view = self.principal.can_view  # lookups read their source app as the caller
        return ctx


class Journal:
    """Undo log of record writes, so that bulkRequest can roll every touched app back."""

    def __init__(self):
        self.entries = []  # (app, record id, previous Record or None)
        self.counters = {}  # app id -> (app, next_id, next_row_id) before the first write

    def touch(self, app):
        """Remember the app's id counters before a write allocates record or row ids."""
        if app.id not in self.counters:
            self.counters[app.id] = (app, app.next_id, app.next_row_id)

    def put(self, app, record):
        self.touch(app)
        old = app.records.get(record.id)
        self.entries.append((app, record.id, old))
        if old is None:
            app.add_record(record)
        else:
            app.records[record.id] = record
        F.warm_record(app, record)  # its JSON is built once here, not on the first read

    def delete(self, app, rid):
        self.touch(app)
        self.entries.append((app, rid, app.records[rid]))
        app.remove_record(rid)

    def rollback(self):
        for app, rid, old in reversed(self.entries):
            if old is None:
                if rid in app.records:
                    app.remove_record(rid)
            elif rid in app.records:
                app.records[rid] = old
            else:
                app.add_record(old)
        for app, next_id, next_row_id in self.counters.values():
            app.next_id, app.next_row_id = next_id, next_row_id
        self.entries, self.counters = [], {}


# ---------------------------------------------------------------- parameter helpers

def _is_blank(value):
    return value is None or value == "" or value == [] or value == {}


def int_param(params, key, required=True, default=None):
    """An integer parameter given as number or string; CB_VA01 errors.<key> otherwise."""
    value = params.get(key)
    if _is_blank(value):
        if required:
            raise validation_error(key, "required_field")
        return default
    return to_int(value, key)


def to_int(value, key):
    if isinstance(value, bool):
        raise validation_error(key, "must_be_number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?[0-9]+", text):
            return int(text)
    raise validation_error(key, "must_be_number")


def list_param(params, key):
    """A list parameter (JSON array, bracket-index or repeated query keys, or one plain value)."""
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        return value
    if isinstance(value, dict):  # {"0": a, "1": b} from an odd client: take values by index
        try:
            return [value[k] for k in sorted(value, key=int)]
        except ValueError:
            return list(value.values())
    return [value]


def bool_param(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


def fields_param(params):
    fields = list_param(params, "fields")
    if fields is None:
        return None
    return [str(f) for f in fields]


def revision_param(value, key):
    """None when no revision check is wanted (absent, blank or -1)."""
    if _is_blank(value):
        return None
    rev = to_int(value, key)
    return None if rev == -1 else rev


def to_dict(value, key):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error(key, "required_field")
    return value


def encode(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- app lookup and routing

def check_route(call, app):
    """Guest-space routing rules of contract 1.3."""
    space = call.state.spaces.get(app.space) if app.space is not None else None
    in_guest = bool(space and space.get("guest"))
    if call.guest is None:
        if in_guest:
            raise KintoneError("GAIA_IL23")
    elif not in_guest or app.space != call.guest:
        raise KintoneError("CB_NO02")


def find_app(call, app_id):
    app = call.state.apps.get(app_id)
    if app is None:
        raise KintoneError("GAIA_AP01", args={"app": app_id})
    check_route(call, app)
    return app


def app_param(call, perm, key="app"):
    """The app named by parameter `key`, routed and checked for permission `perm`."""
    app = find_app(call, int_param(call.params, key))
    call.principal.require(app, perm)
    return app


# ---------------------------------------------------------------- records: read

def _records_body(call, app, records, fields, tail):
    call.records_out += len(records)
    _count_fields(call, app, fields)
    return b'{"records":[' + b",".join(F.records_json_bytes(app, records, fields)) + tail.encode("utf-8")


def get_records(call):
    app = app_param(call, "view")
    fields = fields_param(call.params)
    want_total = bool_param(call.params.get("totalCount"))
    query_text = call.params.get("query") or ""
    if not isinstance(query_text, str):
        raise validation_error("query", "query_syntax")
    ctx = call.query_ctx()
    records, total = Q.execute(app, query_text, ctx, want_total=want_total)
    _like_warning(call, app, query_text, ctx)
    tail = '],"totalCount":' + ('"%d"}' % total if want_total and total is not None else "null}")
    return _records_body(call, app, records, fields, tail)


def _like_warning(call, app, query_text, ctx):
    if Q.like_overflow(app, query_text, ctx):
        call.headers.append(("X-Cybozu-Warning", "Filter aborted because of too many search results"))


def get_record(call):
    app = app_param(call, "view")
    rid = int_param(call.params, "id")
    record = app.records.get(rid)
    if record is None:
        raise KintoneError("GAIA_RE01", args={"id": rid})
    call.records_out += 1
    _count_fields(call, app, None)
    return b'{"record":' + F.records_json_bytes(app, (record,))[0] + b"}"


def _count_fields(call, app, fields):
    """Fields per returned record, for the latency model (only computed when it is on)."""
    if call.emu is not None and call.emu.settings.active:
        schema = F.schema_of(app)
        if fields is None:
            call.fields_out = len(schema.top) + 2  # + $id, $revision
        else:
            call.fields_out = sum(1 for c in set(fields) if c in schema.by_code or c in ("$id", "$revision"))


# ---------------------------------------------------------------- records: write

def _raise_if(errs):
    if errs:
        raise KintoneError("CB_VA01", errors=errs)


def _incoming(value, key):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error(key, "required_field")
    return value


def add_record(call):
    app = app_param(call, "add")
    incoming = _incoming(call.params.get("record"), "record")
    ctx = call.write_ctx(app)
    errs = FieldErrors()
    values = F.prepare_add(app, incoming, ctx, errs, "record")
    F.check_unique(app, values, errs, "record")
    _raise_if(errs)
    rid = app.allocate_id()
    call.journal.put(app, model.Record(rid, 1, values))
    return {"id": str(rid), "revision": "1"}


def add_records(call):
    app = app_param(call, "add")
    items = call.params.get("records")
    if not isinstance(items, list):
        raise validation_error("records", "required_field")
    if len(items) > MAX_WRITE:
        raise validation_error("records", "records_add_max")
    ctx = call.write_ctx(app)
    errs = FieldErrors()
    staged = []
    for i, item in enumerate(items):
        prefix = "records[%d]" % i
        values = F.prepare_add(app, _incoming(item, prefix), ctx, errs, prefix)
        F.check_unique(app, values, errs, prefix, pending=tuple(staged))
        staged.append(values)
    _raise_if(errs)
    ids = []
    for values in staged:
        rid = app.allocate_id()
        call.journal.put(app, model.Record(rid, 1, values))
        ids.append(str(rid))
    return {"ids": ids, "revisions": ["1"] * len(ids)}


class _Update:
    """Resolves and stages the updates of one PUT (record.json or records.json)."""

    def __init__(self, call, app, upsert):
        self.call, self.app, self.upsert = call, app, upsert
        self.ctx = call.write_ctx(app)
        self.errs = FieldErrors()
        self.staged = {}  # record id -> new Record (latest staged version)
        self.inserts = []  # values of upserted new records
        self.results = []  # (kind, id or insert index, revision)

    def stage(self, item, prefix, key_prefix):
        """Validate one {"id"|"updateKey", "revision", "record"} item; writes nothing yet."""
        app = self.app
        rid_raw, update_key = item.get("id"), item.get("updateKey")
        if not _is_blank(rid_raw) and update_key is not None:
            raise validation_error(key_prefix + "id", "id_and_update_key")
        incoming = _incoming(item.get("record"), prefix)
        if update_key is not None:
            if not isinstance(update_key, dict):
                raise validation_error(key_prefix + "updateKey", "required_field")
            errs = FieldErrors()
            record = F.find_by_update_key(app, update_key, errs, prefix)
            _raise_if(errs)
            if record is not None and record.id in self.staged:
                record = self.staged[record.id]
            if record is None:
                if not self.upsert:
                    # No record with that key: 404 GAIA_RE01 naming the key value (choice).
                    raise KintoneError("GAIA_RE01", args={"id": update_key.get("value")})
                if _is_blank(update_key.get("value")):
                    # CHOICE: upsert never inserts a record with an empty key.
                    raise validation_error(key_prefix + "updateKey.value", "required_field")
                return self._stage_insert(incoming, update_key, prefix)
        else:
            if _is_blank(rid_raw):
                raise validation_error(key_prefix + "id", "required_field")
            rid = to_int(rid_raw, key_prefix + "id")
            record = self.staged.get(rid) or app.records.get(rid)
            if record is None:
                if self.upsert:
                    # Upsert by id: an unknown id inserts a record, with a new id (not the one
                    # sent) [DOC update-records].
                    return self._stage_insert(incoming, None, prefix)
                raise KintoneError("GAIA_RE01", args={"id": rid})
        revision = revision_param(item.get("revision"), key_prefix + "revision")
        if revision is not None and revision != record.revision:
            raise KintoneError("GAIA_CO02")
        values = F.prepare_update(app, record, incoming, self.ctx, self.errs, prefix)
        pending = tuple(r.values for i, r in self.staged.items() if i != record.id) + tuple(self.inserts)
        F.check_unique(app, values, self.errs, prefix, exclude_id=record.id, pending=pending)
        new = model.Record(record.id, record.revision + 1, values)
        self.staged[record.id] = new
        self.results.append(("UPDATE", record.id, new.revision))

    def _stage_insert(self, incoming, update_key, prefix):
        record = dict(incoming or {})
        if update_key is not None:
            record[update_key.get("field")] = {"value": update_key.get("value")}
        values = F.prepare_add(self.app, record, self.ctx, self.errs, prefix)
        pending = tuple(r.values for r in self.staged.values()) + tuple(self.inserts)
        F.check_unique(self.app, values, self.errs, prefix, pending=pending)
        self.results.append(("INSERT", len(self.inserts), 1))
        self.inserts.append(values)

    def commit(self):
        _raise_if(self.errs)
        journal, app = self.call.journal, self.app
        for record in self.staged.values():
            journal.put(app, record)
        new_ids = []
        for values in self.inserts:
            rid = app.allocate_id()
            journal.put(app, model.Record(rid, 1, values))
            new_ids.append(rid)
        return [(kind, new_ids[ref] if kind == "INSERT" else ref, revision)
                for kind, ref, revision in self.results]


def update_record(call):
    app = app_param(call, "edit")
    upd = _Update(call, app, upsert=False)
    upd.stage(call.params, "record", "")
    (_, _, revision), = upd.commit()
    return {"revision": str(revision)}


def update_records(call):
    upsert = bool_param(call.params.get("upsert"))
    app = app_param(call, "edit")
    if upsert:
        call.principal.require(app, "add")
    items = call.params.get("records")
    if not isinstance(items, list):
        raise validation_error("records", "required_field")
    if len(items) > MAX_WRITE:
        raise validation_error("records", "records_update_max")
    upd = _Update(call, app, upsert)
    for i, item in enumerate(items):
        prefix = "records[%d]" % i
        if not isinstance(item, dict):
            raise validation_error(prefix, "required_field")
        upd.stage(item, prefix, prefix + ".")
    out = []
    for kind, rid, revision in upd.commit():
        entry = {"id": str(rid), "revision": str(revision)}
        if upsert:
            entry["operation"] = kind
        out.append(entry)
    return {"records": out}


class _IdsErrors(FieldErrors):
    """errors.ids for DELETE records.json: both messages, order reversed in Japanese [OBS]."""

    def render(self, lang):
        out = super().render(lang)
        if lang != "en":
            for entry in out.values():
                entry["messages"].reverse()
        return out


def delete_records(call):
    app = app_param(call, "delete")
    ids = list_param(call.params, "ids")
    if not ids or len(ids) > MAX_WRITE:
        errs = _IdsErrors()
        if not ids:
            errs.add("ids", "required_field")
        errs.add("ids", "records_delete_range")
        raise KintoneError("CB_VA01", errors=errs)
    revisions = list_param(call.params, "revisions") or []
    targets = []
    for i, raw in enumerate(ids):
        rid = to_int(raw, "ids[%d]" % i)
        record = app.records.get(rid)
        if record is None:
            raise KintoneError("GAIA_RE01", args={"id": rid})
        revision = revision_param(revisions[i], "revisions[%d]" % i) if i < len(revisions) else None
        if revision is not None and revision != record.revision:
            raise KintoneError("GAIA_CO02")
        targets.append(rid)
    for rid in dict.fromkeys(targets):
        call.journal.delete(app, rid)
    return {}


# ---------------------------------------------------------------- cursors (contract 4.8)

class Cursor:
    __slots__ = ("id", "app_id", "fields", "ids", "pos", "size", "expires")

    def __init__(self, cid, app_id, fields, ids, size, expires):
        self.id, self.app_id, self.fields, self.ids = cid, app_id, fields, ids
        self.pos, self.size, self.expires = 0, size, expires


def live_cursors(state):
    """Drop expired cursors and return how many are left."""
    now = state.now()
    for cid in [c.id for c in state.cursors.values() if c.expires <= now]:
        del state.cursors[cid]
    return len(state.cursors)


def _no_oauth(call):
    if call.principal.kind == "oauth":
        # Cursor and bulk APIs are not available with OAuth (contract 3.4): 400 CB_OA01 (choice).
        raise KintoneError("CB_OA01")


def create_cursor(call):
    _no_oauth(call)
    app = app_param(call, "view")
    fields = fields_param(call.params)
    size = call.params.get("size")
    if _is_blank(size):
        size = 100
    else:
        try:
            size = to_int(size, "size")
        except KintoneError:
            raise validation_error("size", "size_range")
        if not 1 <= size <= 500:
            raise validation_error("size", "size_range")
    query_text = call.params.get("query") or ""
    if not isinstance(query_text, str):
        raise validation_error("query", "query_syntax")
    ctx = call.query_ctx()
    records, _ = Q.execute(app, query_text, ctx, cursor=True)
    if live_cursors(call.state) >= MAX_CURSORS:
        raise KintoneError("GAIA_TM12")
    _like_warning(call, app, query_text, ctx)
    cid = str(uuid.uuid4())
    call.state.cursors[cid] = Cursor(cid, app.id, fields, [r.id for r in records], size,
                                     call.state.now() + CURSOR_TTL)
    return {"id": cid, "totalCount": str(len(records))}


def _cursor(call):
    cid = call.params.get("id")
    if _is_blank(cid):
        raise validation_error("id", "required_field")
    cursor = call.state.cursors.get(str(cid))
    if cursor is None or cursor.expires <= call.state.now():
        call.state.cursors.pop(str(cid), None)
        raise KintoneError("GAIA_CN01")
    app = find_app(call, cursor.app_id)
    call.principal.require(app, "view")
    return cursor, app


def get_cursor(call):
    _no_oauth(call)
    cursor, app = _cursor(call)
    page = cursor.ids[cursor.pos:cursor.pos + cursor.size]
    cursor.pos += len(page)
    stored = app.records
    records = [stored[i] for i in page if i in stored]  # deleted meanwhile: skipped
    more = cursor.pos < len(cursor.ids)
    if more:
        cursor.expires = call.state.now() + CURSOR_TTL
    else:
        del call.state.cursors[cursor.id]
    return _records_body(call, app, records, cursor.fields, '],"next":%s}' % ("true" if more else "false"))


def delete_cursor(call):
    _no_oauth(call)
    cursor, _ = _cursor(call)
    del call.state.cursors[cursor.id]
    return {}


# ---------------------------------------------------------------- bulkRequest (contract 4.12)

class BulkError(KintoneError):
    """A failed bulkRequest: the body is {"results": [{}, {error}, {}]} with the inner status."""

    def __init__(self, status, results):
        super().__init__("BULK", status=status)
        self.results = results

    def body(self, lang, request_id=None):
        return {"results": self.results}


BULK_APIS = {("record", "POST"), ("record", "PUT"), ("records", "POST"), ("records", "PUT"),
             ("records", "DELETE")}


def bulk_request(call):
    _no_oauth(call)
    requests = call.params.get("requests")
    if not isinstance(requests, list) or not requests:
        raise validation_error("requests", "required_field")
    if len(requests) > MAX_BULK:
        raise validation_error("requests", "bulk_max")
    results = []
    try:
        for i, req in enumerate(requests):
            results.append(_bulk_one(call, req, i))
    except KintoneError as e:
        call.journal.rollback()
        body = [{} for _ in requests]
        body[len(results)] = e.body(call.lang)
        raise BulkError(e.status, body)
    except Exception:
        call.journal.rollback()
        raise
    return {"results": results}


def _bulk_one(call, req, i):
    if not isinstance(req, dict):
        raise validation_error("requests[%d]" % i, "required_field")
    method = str(req.get("method") or "").upper()
    m = API_PATH.match(str(req.get("api") or ""))
    payload = req.get("payload")
    if not m:
        raise KintoneError("GAIA_BR01")
    guest = int(m.group(1)) if m.group(1) else None
    endpoint = m.group(2)
    if (endpoint, method) not in BULK_APIS:
        raise KintoneError("GAIA_BR01")
    if guest != call.guest:
        # Inner paths must use the outer request's guest form; others: 403 CB_NO02 (choice).
        raise KintoneError("CB_NO02")
    if not isinstance(payload, dict):
        raise validation_error("requests[%d].payload" % i, "required_field")
    inner = Call(call.emu, call.state, call.principal, guest, payload, method, call.lang, call.journal,
                 accept=call.accept)
    return ROUTES[(endpoint, method)](inner)


# ---------------------------------------------------------------- app metadata (contract 4.13)

def _app_info(state, app):
    return {
        "appId": str(app.id), "code": app.code, "name": app.name, "description": app.description,
        "spaceId": str(app.space) if app.space is not None else None,
        "threadId": str(app.thread) if app.thread is not None else None,
        "createdAt": app.created_at, "creator": dict(app.creator),
        "modifiedAt": app.modified_at, "modifier": dict(app.modifier),
    }


def get_app(call):
    app = app_param(call, "settings_read", key="id")
    return _app_info(call.state, app)


def get_apps(call):
    """apps.json: password/OAuth only; API tokens get 403 GAIA_NO01 (choice, contract 3.4)."""
    call.principal.require_user("k:app_settings:read")
    p = call.params
    for key in ("ids", "codes", "spaceIds"):
        if len(list_param(p, key) or ()) > 100:  # contract 4.13: <= 100 each
            raise validation_error(key, "max_items", n=100)
    if not _is_blank(p.get("name")) and len(str(p.get("name"))) > 64:
        raise validation_error("name", "max_chars", n=64)
    ids = {to_int(v, "ids") for v in list_param(p, "ids") or []} or None
    codes = set(map(str, list_param(p, "codes") or [])) or None
    spaces = {to_int(v, "spaceIds") for v in list_param(p, "spaceIds") or []} or None
    name = p.get("name")
    name = str(name).lower() if not _is_blank(name) else None
    limit = int_param(p, "limit", required=False, default=100)
    if not 1 <= limit <= 100:
        raise validation_error("limit", "max_value" if limit > 100 else "min_value",
                               n=100 if limit > 100 else 1)
    offset = int_param(p, "offset", required=False, default=0)
    if offset < 0:
        raise validation_error("offset", "min_zero")
    if offset > 2147483647:  # contract 4.13: 0..2,147,483,647
        raise validation_error("offset", "max_value", n=2147483647)
    out = []
    for app_id in sorted(call.state.apps):
        app = call.state.apps[app_id]
        if ids is not None and app.id not in ids or codes is not None and app.code not in codes:
            continue
        if spaces is not None and app.space not in spaces:
            continue
        if name is not None and name not in app.name.lower():
            continue
        if call.guest is not None and not _guest_app_of(call, app):
            continue  # on a guest path: only that guest space's apps (choice)
        if not _user_may_see(call, app):
            continue
        out.append(_app_info(call.state, app))
    return {"apps": out[offset:offset + limit]}


def _guest_app_of(call, app):
    """True when app lives in the guest space of the request's /k/guest/{id}/ path (the apps
    that path may address at all, contract 1.3: a normal space's id there addresses nothing)."""
    space = call.state.spaces.get(app.space) if app.space is not None else None
    return bool(space and space.get("guest")) and app.space == call.guest


def _user_may_see(call, app):
    allowed = getattr(app, "allowed_users", None)
    return allowed is None or call.principal.user.code in allowed


def get_fields(call):
    app = app_param(call, "settings_read")
    return {"properties": app.properties, "revision": str(app.settings_revision)}


def get_layout(call):
    app = app_param(call, "settings_read")
    return {"layout": app.layout, "revision": str(app.settings_revision)}


# ---------------------------------------------------------------- app administration (preview/*)

def create_app(call):
    """POST preview/app.json: a new app with only system fields (password/OAuth users only)."""
    call.principal.require_user("k:app_settings:write")
    name = call.params.get("name")
    if _is_blank(name) or not isinstance(name, str):
        raise validation_error("name", "required_field")
    state = call.state
    space = int_param(call.params, "space", required=False)
    thread = int_param(call.params, "thread", required=False)
    if space is not None:
        if space not in state.spaces:
            raise KintoneError("CB_NO02")
        guest = state.spaces[space]["guest"]
        if guest and call.guest != space:
            raise KintoneError("GAIA_IL23") if call.guest is None else KintoneError("CB_NO02")
        if not guest and call.guest is not None:
            raise KintoneError("CB_NO02")
    elif call.guest is not None:
        raise KintoneError("CB_NO02")
    app = model.App(state.next_app_id, name, "", space, thread if thread is not None else space)
    state.next_app_id += 1
    app.properties = F.normalize_properties(with_system_fields({}))
    app.preview_properties = copy.deepcopy(app.properties)
    app.allowed_users, app.admin_users = None, set()
    user = call.principal.user
    stamp = state.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    app.created_at = app.modified_at = stamp
    app.creator = app.modifier = {"code": user.code, "name": user.name}
    state.apps[app.id] = app
    return {"app": str(app.id), "revision": str(app.preview_revision)}


def _check_settings_revision(app, params):
    revision = revision_param(params.get("revision"), "revision")
    if revision is not None and revision != app.preview_revision:
        raise KintoneError("GAIA_CO01")


def _bump_preview(app):
    app.preview_revision += 1
    return {"revision": str(app.preview_revision)}


def get_preview_fields(call):
    app = app_param(call, "manage")
    return {"properties": app.preview_properties, "revision": str(app.preview_revision)}


def _properties_param(call):
    props = call.params.get("properties")
    if not isinstance(props, dict) or not props:
        raise validation_error("properties", "required_field")
    for code, prop in props.items():
        if not isinstance(prop, dict) or not prop.get("type") and call.method == "POST":
            raise validation_error("properties[%s].type" % code, "required_field")
    return props


def add_fields(call):
    app = app_param(call, "manage")
    _check_settings_revision(app, call.params)
    props = copy.deepcopy(_properties_param(call))
    for code, prop in props.items():
        if code in app.preview_properties:
            raise KintoneError("GAIA_AR01", args={"field": code})
        prop["code"] = code
        prop.setdefault("label", code)
    app.preview_properties.update(F.normalize_properties(props))
    return _bump_preview(app)


def update_fields(call):
    """PUT preview/app/form/fields.json: merge settings into existing fields (no renaming)."""
    app = app_param(call, "manage")
    _check_settings_revision(app, call.params)
    props = _properties_param(call)
    merged = {}
    for code, prop in props.items():
        old = app.preview_properties.get(code)
        if old is None:
            raise KintoneError("GAIA_FC01", args={"field": code})
        new = copy.deepcopy(old)
        new.update(copy.deepcopy(prop))
        new["code"], new["type"] = code, old["type"]  # renames and type changes: not supported
        merged[code] = new
    app.preview_properties.update(F.normalize_properties(merged))
    return _bump_preview(app)


def delete_fields(call):
    app = app_param(call, "manage")
    _check_settings_revision(app, call.params)
    codes = list_param(call.params, "fields")
    if not codes:
        raise validation_error("fields", "required_field")
    for code in codes:
        if code not in app.preview_properties:
            raise KintoneError("GAIA_FC01", args={"field": code})
    for code in codes:
        del app.preview_properties[code]
    app.preview_layout = _prune_layout(app.preview_layout, set(codes))
    return _bump_preview(app)


def _prune_layout(layout, gone):
    out = []
    for row in layout:
        row = dict(row)
        if row.get("code") in gone:
            continue
        if "fields" in row:
            row["fields"] = [f for f in row["fields"] if f.get("code") not in gone]
            if not row["fields"] and row.get("type") == "ROW":
                continue
        if "layout" in row:
            row["layout"] = _prune_layout(row["layout"], gone)
        out.append(row)
    return out


def get_preview_layout(call):
    app = app_param(call, "manage")
    return {"layout": app.preview_layout, "revision": str(app.preview_revision)}


def update_layout(call):
    app = app_param(call, "manage")
    _check_settings_revision(app, call.params)
    layout = call.params.get("layout")
    if not isinstance(layout, list):
        raise validation_error("layout", "required_field")
    app.preview_layout = copy.deepcopy(layout)
    return _bump_preview(app)


def deploy(call):
    """POST preview/app/deploy.json: applied at once; status is SUCCESS immediately."""
    apps = list_param(call.params, "apps")
    if not apps:
        raise validation_error("apps", "required_field")
    targets = []
    for i, entry in enumerate(apps):
        if not isinstance(entry, dict):
            raise validation_error("apps[%d].app" % i, "required_field")
        app = find_app(call, int_param(entry, "app"))
        call.principal.require(app, "manage")
        _check_settings_revision(app, entry)
        targets.append(app)
    revert = bool_param(call.params.get("revert"))
    for app in targets:
        _process.deploy(app, revert, call.state)  # before the form: it may switch STATUS fields
        _app_meta.deploy(app, revert)
        if revert:
            app.preview_properties = copy.deepcopy(app.properties)
            app.preview_layout = copy.deepcopy(app.layout)
            app.preview_revision = app.settings_revision
        else:
            _fill_layout(app)
            _drop_removed_values(app, app.properties, app.preview_properties)
            app.properties = copy.deepcopy(app.preview_properties)
            app.layout = copy.deepcopy(app.preview_layout)
            app.settings_revision = app.preview_revision
            for record in app.records.values():
                record.cache = None  # the output shape depends on the properties
        app.deploy_status = "SUCCESS"
        app.modified_at = call.state.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {}


def _drop_removed_values(app, old, new):
    """A deployed form drops the values of the fields it deletes, and of those whose type it
    changes (deleted and added again with the same code): Kintone deletes a field's data with
    the field, so a field added later under that code starts empty (CHOICE [UNV]: what real
    Kintone keeps when only the type differs is not recorded; it cannot be changed in place)."""
    gone = [code for code, prop in old.items()
            if code not in new or (isinstance(prop, dict) and isinstance(new.get(code), dict)
                                   and prop.get("type") != new[code].get("type"))]
    if not gone:
        return
    for record in app.records.values():
        for code in gone:
            record.values.pop(code, None)


def _fill_layout(app):
    """Fields added without a layout entry get a ROW of their own, as Kintone's form editor does."""
    placed = set()

    def walk(items):
        for item in items:
            if item.get("code"):
                placed.add(item["code"])
            walk(item.get("fields", []))
            walk(item.get("layout", []))
    walk(app.preview_layout)
    missing = {c: p for c, p in app.preview_properties.items() if c not in placed}
    app.preview_layout = list(app.preview_layout) + default_layout(missing)


def deploy_status(call):
    apps = list_param(call.params, "apps")
    if not apps:
        raise validation_error("apps", "required_field")
    out = []
    for i, raw in enumerate(apps):
        app = find_app(call, to_int(raw, "apps[%d]" % i))
        call.principal.require(app, "manage")
        out.append({"app": str(app.id), "status": app.deploy_status})
    return {"apps": out}


# ---------------------------------------------------------------- comments (contract 4.9)

MAX_COMMENT_TEXT = 65535
MAX_MENTIONS = 10
_MENTION_TABLES = {"USER": "users", "GROUP": "groups", "ORGANIZATION": "organizations"}


def _comment_target(call):
    app = app_param(call, "view")
    rid = int_param(call.params, "record")
    if rid not in app.records:
        raise KintoneError("GAIA_RE01", args={"id": rid})
    call.comment_key = (app.id, rid)
    return call.state.comments.setdefault((app.id, rid), [])


def get_comments(call):
    """GET record/comments.json: newest first by default; older/newer tell what lies beyond."""
    comments = _comment_target(call)
    order = call.params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise validation_error("order", "enum")
    offset = int_param(call.params, "offset", required=False, default=0)
    if offset < 0:
        raise validation_error("offset", "min_zero")
    limit = int_param(call.params, "limit", required=False, default=10)
    if not 1 <= limit <= 10:
        raise validation_error("limit", "max_value" if limit > 10 else "min_value", n=10 if limit > 10 else 1)
    ordered = comments if order == "asc" else comments[::-1]
    page = ordered[offset:offset + limit]
    beyond, before = offset + limit < len(ordered), offset > 0
    older, newer = (before, beyond) if order == "asc" else (beyond, before)
    return {"comments": [copy.deepcopy(c) for c in page], "older": older, "newer": newer}


def comment_entry(state, cid, text, mentions, creator, created_at):
    """A stored comment. Mentioned names are put in front of the text (contract 4.9: "@" is not
    kept): CHOICE [UNV format] the display names joined by spaces, then " \n", then the text."""
    names = []
    for m in mentions:
        table = getattr(state, _MENTION_TABLES[m["type"]])
        entry = table.get(m["code"])
        names.append(entry.name if m["type"] == "USER" else entry)
    if names:
        text = " ".join(names) + " \n" + text
    return {"id": str(cid), "text": text, "createdAt": created_at, "creator": creator,
            "mentions": [dict(m) for m in mentions]}


def parse_mentions(state, raw, key="comment.mentions"):
    """[{"code", "type"?}] -> checked mentions (type defaults to USER); CB_VA01 otherwise."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation_error(key, "invalid_value")
    if len(raw) > MAX_MENTIONS:
        raise validation_error(key, "max_items", n=MAX_MENTIONS)
    errs = FieldErrors()
    out = []
    for i, m in enumerate(raw):
        mtype = m.get("type") or "USER" if isinstance(m, dict) else None
        code = m.get("code") if isinstance(m, dict) else None
        if mtype not in _MENTION_TABLES:
            errs.add("%s[%d].type" % (key, i), "enum")
            continue
        if not isinstance(code, str) or code not in getattr(state, _MENTION_TABLES[mtype]):
            # CHOICE [UNV]: an unknown user/group/organization is refused.
            msg = {"USER": "user_not_found", "GROUP": "group_not_found", "ORGANIZATION": "org_not_found"}[mtype]
            errs.add("%s[%d].code" % (key, i), msg, value=code)
            continue
        out.append({"code": code, "type": mtype})
    if errs:
        raise KintoneError("CB_VA01", errors=errs)
    return out


def add_comment(call):
    """POST record/comment.json {app, record, comment: {text, mentions?}} -> {"id"}."""
    comments = _comment_target(call)
    comment = call.params.get("comment")
    if not isinstance(comment, dict) or _is_blank(comment.get("text")):
        raise validation_error("comment.text", "required_field")
    text = str(comment["text"])
    if len(text) > MAX_COMMENT_TEXT:
        raise validation_error("comment.text", "max_chars", n=MAX_COMMENT_TEXT)
    mentions = parse_mentions(call.state, comment.get("mentions"))
    user = call.principal.user
    # API tokens post as Administrator (cybozu.dev add-comment).
    creator = {"code": user.code, "name": user.name} if user else dict(F.ADMIN_ENTITY)
    seq = call.state.comment_seq  # ids are per record and never reused
    seq[call.comment_key] = seq.get(call.comment_key, 0) + 1
    entry = comment_entry(call.state, seq[call.comment_key], text, mentions, creator,
                          call.state.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
    comments.append(entry)
    return {"id": entry["id"]}


def delete_comment(call):
    """DELETE record/comment.json: only the poster may delete a comment (API tokens: those of
    Administrator) [DOC]; someone else's -> 403 CB_NO02 (choice, code not recorded)."""
    comments = _comment_target(call)
    cid = str(int_param(call.params, "comment"))
    for i, c in enumerate(comments):
        if c["id"] == cid:
            user = call.principal.user
            if c["creator"]["code"] != (user.code if user else "Administrator"):
                raise KintoneError("CB_NO02")
            del comments[i]
            return {}
    raise KintoneError("GAIA_RE02")


# ---------------------------------------------------------------- files (contract 4.11)

class Raw:
    """A non-JSON success body (file download)."""

    def __init__(self, body, content_type, headers=()):
        self.body, self.content_type, self.headers = body, content_type, list(headers)


def upload_file(call):
    """POST file.json (multipart/form-data, part "file"). Any authenticated caller may upload.
    Attaching the upload key to a record stores the file under a new download key (contract
    4.11); the upload key itself also stays downloadable (choice)."""
    if call.principal.kind == "oauth":
        call.principal.require_user("k:file:write")
    upload = call.params.get("__file__")
    if upload is None:
        raise validation_error("file", "required_field")
    settings = call.emu.settings if call.emu is not None else None
    if settings is not None and len(upload["content"]) > settings.max_file_size:
        # Kintone's limit is 1 GB per file; the error for a larger one is not recorded
        # (contract 4.11): CB_VA01 errors.file (choice). The limit is settable for tests.
        raise validation_error("file", "file_too_large", n=settings.max_file_size)
    key = str(uuid.uuid4())
    upload["upload"] = True  # attaching it to a record stores it under a new download key
    if settings is not None:
        # Unattached uploads are deleted after 3 days (emulator clock); so is the upload key of
        # an attached one (the record's download key stays).
        upload["expires"] = call.state.now() + datetime.timedelta(seconds=settings.upload_ttl_s)
    _purge_expired_uploads(call.state)
    call.state.files[key] = upload
    return {"fileKey": key}


def _purge_expired_uploads(state):
    now = state.now()
    for key in [k for k, v in state.files.items() if v.get("expires") is not None and v["expires"] <= now]:
        del state.files[key]


def download_file(call):
    if call.principal.kind == "oauth":
        call.principal.require_user("k:file:read")
    key = call.params.get("fileKey")
    if _is_blank(key):
        raise validation_error("fileKey", "required_field")
    entry = call.state.files.get(str(key))
    if entry is None or entry.get("expires") is not None and entry["expires"] <= call.state.now():
        raise KintoneError("GAIA_BL01", args={"id": key})
    return Raw(entry.get("content") or b"", entry.get("contentType") or "application/octet-stream")


# ---------------------------------------------------------------- routing table

ROUTES = {
    ("records", "GET"): get_records,
    ("records", "POST"): add_records,
    ("records", "PUT"): update_records,
    ("records", "DELETE"): delete_records,
    ("record", "GET"): get_record,
    ("record", "POST"): add_record,
    ("record", "PUT"): update_record,
    ("records/cursor", "POST"): create_cursor,
    ("records/cursor", "GET"): get_cursor,
    ("records/cursor", "DELETE"): delete_cursor,
    ("bulkRequest", "POST"): bulk_request,
    ("app", "GET"): get_app,
    ("apps", "GET"): get_apps,
    ("app/form/fields", "GET"): get_fields,
    ("app/form/layout", "GET"): get_layout,
    ("preview/app", "POST"): create_app,
    ("preview/app/form/fields", "GET"): get_preview_fields,
    ("preview/app/form/fields", "POST"): add_fields,
    ("preview/app/form/fields", "PUT"): update_fields,
    ("preview/app/form/fields", "DELETE"): delete_fields,
    ("preview/app/form/layout", "GET"): get_preview_layout,
    ("preview/app/form/layout", "PUT"): update_layout,
    ("preview/app/deploy", "POST"): deploy,
    ("preview/app/deploy", "GET"): deploy_status,
    ("record/comments", "GET"): get_comments,
    ("record/comment", "POST"): add_comment,
    ("record/comment", "DELETE"): delete_comment,
    ("file", "POST"): upload_file,
    ("file", "GET"): download_file,
}

# Process management, views, app settings and spaces live in their own modules; they use the
# helpers above, so they are imported last.
from . import app_meta as _app_meta  # noqa: E402
from . import process as _process  # noqa: E402

ROUTES.update(_process.ROUTES)
ROUTES.update(_app_meta.ROUTES)
BULK_APIS |= _process.BULK


def find_route(endpoint, method):
    """The handler, or None (unknown path or method: the server answers 404 CB_NF01)."""
    return ROUTES.get((endpoint, method))


def dispatch(call, handler):
    """Run handler under the state lock; a failed call leaves no trace (ids included)."""
    with call.state.lock:
        try:
            return handler(call)
        except Exception:
            call.journal.rollback()
            raise
