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
    for o in doc.get("organizations", []):
        state.organizations[o["code"]] = o.get("name", o["code"])
    for g in doc.get("groups", []):
        state.groups[g["code"]] = g.get("name", g["code"])
    for s in doc.get("spaces", []):
        sid = int(s["id"])
        state.spaces[sid] = {"id": sid, "guest": bool(s.get("guest", False)), "name": s.get("name", "")}
    if doc.get("domain_timezone"):
        state.domain_timezone = doc["domain_timezone"]
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
    return state


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
    for i, raw in enumerate(records):
        raw = dict(raw)
        rid = raw.pop("$id", None)
        rev = raw.pop("$revision", None)
        if isinstance(rid, dict):
            rid = rid.get("value")
        if isinstance(rev, dict):
            rev = rev.get("value")
        errs = FieldErrors()
        values = fields.prepare_add(app, raw, ctx, errs, "records[%d]" % i)
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
