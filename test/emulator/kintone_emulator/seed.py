"""Building a model.State from a seed document (the --data file or POST /_emulator/seed).

The seed format is documented in ../README.md. Records are written through the field-values
module exactly like POST records.json with app-admin rights, so they get the same
normalisation, defaults and validation as API writes; a seed that fails validation is refused
as a whole (SeedError) rather than half loaded.
"""

import copy
import datetime

from . import fields
from . import model
from . import oauth
from .errors import FieldErrors, KintoneError

# System fields added to every app whose seed does not define one of that type (ja names,
# as in a Japanese-language domain).
SYSTEM_FIELDS = [
    {"type": "RECORD_NUMBER", "code": "レコード番号", "label": "レコード番号", "noLabel": False},
    {"type": "CREATOR", "code": "作成者", "label": "作成者", "noLabel": False},
    {"type": "MODIFIER", "code": "更新者", "label": "更新者", "noLabel": False},
    {"type": "CREATED_TIME", "code": "作成日時", "label": "作成日時", "noLabel": False},
    {"type": "UPDATED_TIME", "code": "更新日時", "label": "更新日時", "noLabel": False},
    {"type": "STATUS", "code": "ステータス", "label": "ステータス", "enabled": False},
    {"type": "STATUS_ASSIGNEE", "code": "作業者", "label": "作業者", "enabled": False},
    {"type": "CATEGORY", "code": "カテゴリー", "label": "カテゴリー", "enabled": False},
]

_LAYOUT_LESS = {"RECORD_NUMBER", "CREATOR", "MODIFIER", "CREATED_TIME", "UPDATED_TIME", "STATUS",
                "STATUS_ASSIGNEE", "CATEGORY"}


class SeedError(Exception):
    """The seed document is malformed or one of its records fails validation."""


def with_system_fields(properties):
    """A copy of `properties` with the missing system fields added."""
    out = copy.deepcopy(properties or {})
    present = {p.get("type") for p in out.values() if isinstance(p, dict)}
    for field in SYSTEM_FIELDS:
        if field["type"] not in present and field["code"] not in out:
            out[field["code"]] = dict(field)
    for code, prop in out.items():
        prop.setdefault("code", code)
        prop.setdefault("label", code)
    return out


def _field_layout(ftype, code):
    """A field's layout entry (contract 6.7, SDK fieldLayout.ts): sizes are strings;
    MULTI_LINE_TEXT/RICH_TEXT add innerHeight; REFERENCE_TABLE has no size."""
    if ftype == "REFERENCE_TABLE":
        return {"type": ftype, "code": code}
    if ftype in ("MULTI_LINE_TEXT", "RICH_TEXT"):
        return {"type": ftype, "code": code, "size": {"width": "193", "innerHeight": "125"}}
    return {"type": ftype, "code": code, "size": {"width": "193"}}


def default_layout(properties):
    """One ROW per top-level field (SUBTABLE entries for tables, an empty GROUP entry for a
    group), in properties order."""
    layout = []
    for code, prop in properties.items():
        t = prop.get("type")
        if t in _LAYOUT_LESS:
            continue
        if t == "SUBTABLE":
            inner = [_field_layout(p.get("type"), c) for c, p in prop.get("fields", {}).items()]
            layout.append({"type": "SUBTABLE", "code": code, "fields": inner})
        elif t == "GROUP":
            layout.append({"type": "GROUP", "code": code, "layout": []})
        else:
            layout.append({"type": "ROW", "fields": [_field_layout(t, code)]})
    return layout


def load_state(doc):
    """A fresh model.State built from a parsed seed document (dict). Raises SeedError."""
    if not isinstance(doc, dict):
        raise SeedError("the seed must be a JSON object")
    try:
        return _load(doc)
    except SeedError:
        raise
    except KintoneError as e:
        raise SeedError("seed record rejected: %s %s" % (e.code, e.body("en").get("errors") or e.body("en")["message"]))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise SeedError("malformed seed: %s: %s" % (type(e).__name__, e))


def _load(doc):
    state = model.State()
    for u in doc.get("users", []):
        state.users[u["code"]] = model.User(
            u["code"], str(u.get("password", "")), u.get("name", u["code"]),
            timezone=u.get("timezone") or "Asia/Tokyo", admin=bool(u.get("admin", False)),
            primary_organization=u.get("primary_organization"), language=u.get("language") or "auto")
    for kind, table, key in (("ORGANIZATION", state.organizations, "organizations"), ("GROUP", state.groups, "groups")):
        for o in doc.get(key, []):
            table[o["code"]] = o.get("name", o["code"])
            members = o.get("members") or []
            unknown = [m for m in members if m not in state.users]
            if unknown:
                raise SeedError("%s %s: unknown members %s" % (key, o["code"], unknown))
            state.members[(kind, o["code"])] = list(members)
    for s in doc.get("spaces", []):
        sid = int(s["id"])
        # space.json members (body, isPrivate, members, defaultThread, ...) are kept as given.
        space = {k: copy.deepcopy(v) for k, v in s.items() if k not in ("id", "guest", "name")}
        space.update({"id": sid, "guest": bool(s.get("guest", False)), "name": s.get("name", "")})
        state.spaces[sid] = space
    if doc.get("domain_timezone"):
        state.domain_timezone = doc["domain_timezone"]
    if doc.get("domain_language"):
        if doc["domain_language"] not in ("ja", "en", "zh"):
            raise SeedError('domain_language must be "ja", "en" or "zh"')
        state.domain_language = doc["domain_language"]
    basic = doc.get("basic_auth")
    if basic:
        state.basic_auth = (str(basic["user"]), str(basic["password"]))
    for t in doc.get("oauth_tokens", []):
        state.oauth_tokens[t["token"]] = {"user": t["user"], "scope": list(t.get("scope", []))}
    state.oauth_clients = oauth.load_clients(doc.get("oauth_clients"))
    # Uploaded/seeded files: fileKey -> {"contentType", "name", "size", "content" (bytes)}.
    # fields.py takes FILE metadata from here and refuses unknown keys (GAIA_BL01).
    state.files = {}
    for f in doc.get("files", []):
        content = f.get("content", "")
        if "content" not in f and "content_base64" not in f:
            # Only a declared size: serve that many NUL bytes, so a download's length matches
            # the size the record reports (at most 16 MB).
            content = bytes(min(int(f.get("size") or 0), 1 << 24))
        elif "content_base64" in f:
            import base64
            content = base64.b64decode(f["content_base64"])
        elif isinstance(content, str):
            content = content.encode("utf-8")
        state.files[f["fileKey"]] = {"contentType": f.get("contentType", "application/octet-stream"),
                                     "name": f.get("name", f["fileKey"]),
                                     # The size Kintone reports is the file's byte count: with
                                     # content given it wins over a declared "size".
                                     "size": str(len(content) if ("content" in f or "content_base64" in f)
                                                 else int(f.get("size") or 0)),
                                     "content": content}
    state.token_index = {}
    for a in doc.get("apps", []):
        _load_app(state, a)
    _tag_file_apps(state)
    return state


def _tag_file_apps(state):
    """Marks each seeded file found in a record's FILE value (top level or in a subtable row)
    with that record's app: downloading it needs view permission on the app (api.download_file)."""
    for app in state.apps.values():
        files = [code for code, p in app.properties.items() if p.get("type") == "FILE"]
        inner = [(code, [c for c, q in p.get("fields", {}).items() if q.get("type") == "FILE"])
                 for code, p in app.properties.items() if p.get("type") == "SUBTABLE"]
        for record in app.records.values():
            entries = [e for code in files for e in record.values.get(code) or []]
            for code, codes in inner:
                for row in record.values.get(code) or []:
                    entries += [e for c in codes for e in (row.get("value") or {}).get(c) or []]
            for e in entries:
                meta = state.files.get(e.get("fileKey")) if isinstance(e, dict) else None
                if meta is not None:
                    meta["app"] = app.id


def _load_app(state, a):
    app_id = int(a["id"])
    if app_id in state.apps:
        raise SeedError("duplicate app id %d" % app_id)
    space = a.get("space")
    if space is not None:
        space = int(space)
        if space not in state.spaces:
            raise SeedError("app %d: unknown space %d" % (app_id, space))
    app = model.App(app_id, a.get("name", "App %d" % app_id), a.get("code", ""), space,
                    int(a["thread"]) if a.get("thread") is not None else (space if space is not None else None),
                    a.get("description", ""))
    app.properties = fields.normalize_properties(with_system_fields(a.get("properties", {})))
    app.preview_properties = copy.deepcopy(app.properties)
    app.layout = copy.deepcopy(a["layout"]) if a.get("layout") is not None else default_layout(app.properties)
    app.preview_layout = copy.deepcopy(app.layout)
    if a.get("creator") is not None:
        user = state.users.get(a["creator"])
        if user is None:
            raise SeedError("app %d: unknown creator %s" % (app_id, a["creator"]))
        app.creator = app.modifier = {"code": user.code, "name": user.name}
    _load_settings(state, app, a)
    perms = a.get("permissions") or {}
    app.allowed_users = set(perms["users"]) if perms.get("users") is not None else None
    app.admin_users = set(perms.get("admins", []))
    for t in a.get("api_tokens", []):
        entry = {k: bool(t.get(k, False)) for k in ("view", "add", "edit", "delete", "manage")}
        entry["token"] = t["token"]
        if t["token"] in state.token_index:
            raise SeedError("API token %s used twice" % t["token"])
        app.tokens.append(entry)
        state.token_index[t["token"]] = (app_id, entry)
    state.apps[app_id] = app
    state.next_app_id = max(state.next_app_id, app_id + 1)
    _load_records(state, app, a.get("records", []))
    _load_comments(state, app, a.get("comments", []))


def _settings_error(app, what, errs):
    raise SeedError("app %d %s rejected: %s" % (app.id, what, errs.render("en")))


def _load_settings(state, app, a):
    """Process management, views, general settings and localized names of a seed app (their
    shapes are those of the PUT preview/app/*.json bodies; see README "Seed format")."""
    from . import api, app_meta, process  # noqa: F401  (api first: it imports the other two)
    if a.get("process_management") is not None:
        if not isinstance(a["process_management"], dict):
            raise SeedError("app %d: process_management must be an object" % app.id)
        # The STATUS fields are switched first: compiled forms and queries are cached per form.
        on = api.bool_param(a["process_management"].get("enable"))
        process.set_enabled_fields(app.properties, on)
        process.set_enabled_fields(app.preview_properties, on)
        errs = FieldErrors()
        proc, _ = process.normalize(a["process_management"], app, state, None, errors=errs)
        if errs:
            _settings_error(app, "process_management", errs)
        app.process = proc
        app.preview_process = copy.deepcopy(proc)
    if a.get("views") is not None:
        errs = FieldErrors()
        views = app_meta.normalize_views(a["views"], app, state, {}, app.properties, errors=errs)
        if errs:
            _settings_error(app, "views", errs)
        app.views = views
        app.preview_views = copy.deepcopy(views)
    if a.get("settings") is not None:
        errs = FieldErrors()
        general, _, _ = app_meta.normalize_general(a["settings"], app, state, {}, errors=errs)
        if errs:
            _settings_error(app, "settings", errs)
        app.general = general
        app.preview_general = copy.deepcopy(general)
    names = a.get("names") or {}
    if not isinstance(names, dict) or any(k not in ("ja", "en", "zh") for k in names):
        raise SeedError('app %d: "names" must map "ja"/"en"/"zh" to names' % app.id)
    app.names = dict(names)


def _load_comments(state, app, comments):
    """Seed comments: [{"record", "text", "mentions"?, "creator"? (user code, default the seed
    user), "createdAt"? (default the clock)}], in posting order; stored as the API would."""
    from .api import comment_entry, parse_mentions
    default = seed_user(state)
    for i, c in enumerate(comments):
        rid = int(c["record"])
        if rid not in app.records:
            raise SeedError("app %d comment %d: unknown record %d" % (app.id, i, rid))
        code = c.get("creator") or (default.code if default else "Administrator")
        user = state.users.get(code)
        if user is None:
            raise SeedError("app %d comment %d: unknown creator %s" % (app.id, i, code))
        try:
            mentions = parse_mentions(state, c.get("mentions"))
        except KintoneError as e:
            raise SeedError("app %d comment %d: %s" % (app.id, i, e.body("en").get("errors")))
        created = c.get("createdAt") or state.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        key = (app.id, rid)
        state.comment_seq[key] = state.comment_seq.get(key, 0) + 1
        state.comments.setdefault(key, []).append(
            comment_entry(state, state.comment_seq[key], str(c["text"]), mentions,
                          {"code": user.code, "name": user.name}, created))


def seed_user(state):
    """The user seed records are written as: the first admin, else the first user, else none."""
    for user in state.users.values():
        if user.admin:
            return user
    return next(iter(state.users.values()), None)


def _load_records(state, app, records):
    if not records:
        return
    user = seed_user(state)
    now = state.now()
    tz = _zone(user.timezone if user else state.domain_timezone)
    ctx = fields.WriteContext(state, user, True, now, tz)
    from . import process
    status_code, assignee_code = process.codes_of(app)
    for i, raw in enumerate(records):
        raw = dict(raw)
        rid = raw.pop("$id", None)
        rev = raw.pop("$revision", None)
        if isinstance(rid, dict):
            rid = rid.get("value")
        if isinstance(rev, dict):
            rev = rev.get("value")
        status = raw.pop(status_code, None)
        assignees = raw.pop(assignee_code, None)
        errs = FieldErrors()
        values = fields.prepare_add(app, raw, ctx, errs, "records[%d]" % i)
        if status is not None or assignees is not None:
            _seed_status(state, app, values, status, assignees, status_code, assignee_code, i)
        # Earlier seed records are already stored, so check_unique sees them without `pending`.
        fields.check_unique(app, values, errs, "records[%d]" % i)
        if errs:
            raise SeedError("app %d record %d rejected: %s" % (app.id, i, errs.render("en")))
        rid = int(rid) if rid is not None else app.allocate_id()
        if rid in app.records:
            raise SeedError("app %d: duplicate record id %d" % (app.id, rid))
        record = model.Record(rid, int(rev) if rev is not None else 1, values)
        app.add_record(record)
        fields.warm_record(app, record)


def _seed_status(state, app, values, status, assignees, status_code, assignee_code, i):
    """A seed record's STATUS / STATUS_ASSIGNEE ({"value": ...} like a record response)."""
    from . import process
    if not process.enabled(app.process):
        raise SeedError("app %d record %d: status given but process management is off" % (app.id, i))
    if status is not None:
        name = status.get("value") if isinstance(status, dict) else status
        if name not in app.process["states"]:
            raise SeedError("app %d record %d: unknown status %r" % (app.id, i, name))
        values[status_code] = name
        if assignees is None:
            values[assignee_code] = process.default_assignees(state, app, app.process["states"][name], values)
    if assignees is not None:
        codes = assignees.get("value") if isinstance(assignees, dict) else assignees
        out = []
        for entry in codes or []:
            code = entry.get("code") if isinstance(entry, dict) else entry
            if code not in state.users:
                raise SeedError("app %d record %d: unknown assignee %r" % (app.id, i, code))
            out.append({"code": code, "name": state.users[code].name})
        values[assignee_code] = out


def _zone(name):
    import zoneinfo
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.timezone.utc


def parse_now(text):
    """ISO timestamp (Z or offset; naive = UTC) -> aware UTC datetime."""
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)
