"""App settings other than the form, and spaces (contract 4.13, 4.14):

    GET app/views.json, GET/PUT preview/app/views.json         views (deploy: api.deploy)
    GET app/settings.json, GET/PUT preview/app/settings.json   general settings (name, icon, ...)
    GET space.json                                             a space and its attached apps

Shapes follow the official client's types (@kintone/rest-api-client types/app/view.d.ts,
setting.d.ts, types/space). Where the contract is silent the choice is written next to the
code as "CHOICE:" and collected in the README.
"""

import copy

from . import api
from . import query as Q
from .errors import FieldErrors, KintoneError, validation_error

VIEW_TYPES = ("LIST", "CALENDAR", "CUSTOM")
THEMES = ("WHITE", "CLIPBOARD", "BINDER", "PENCIL", "CLIPS", "RED", "BLUE", "GREEN", "YELLOW", "BLACK")
ROUNDING = ("HALF_EVEN", "UP", "DOWN")
LANGS = ("ja", "en", "zh")

# GET app/settings.json of an app whose seed says nothing (CHOICE: Kintone's defaults for a new app
# as far as documented; the icon key is the preset most new apps show).
DEFAULT_GENERAL = {
    "icon": {"type": "PRESET", "key": "APP72"},
    "theme": "WHITE",
    "titleField": {"selectionMode": "AUTO", "code": ""},
    "enableThumbnails": True,
    "enableBulkDeletion": False,
    "enableComments": True,
    "enableDuplicateRecord": True,
    "numberPrecision": {"digits": "16", "decimalPlaces": "4", "roundingMode": "HALF_EVEN"},
    "firstMonthOfFiscalYear": "4",
    "enableInlineRecordEditing": True,
}


# ---------------------------------------------------------------- views

def normalize_views(doc, app, state, current, properties, errors=None):
    """A PUT preview/app/views.json "views" object (or a seed's "views") -> the stored views.
    Views not named are deleted; a key naming a current view keeps its id (its "name" may
    rename it); other keys are new views with new domain-unique ids."""
    errs = errors if errors is not None else FieldErrors()
    if not isinstance(doc, dict):
        errs.add("views", "required_field")
        doc = {}
    out = {}
    for key, vdoc in doc.items():
        base = "views.%s" % key
        if not isinstance(vdoc, dict):
            errs.add(base, "invalid_value")
            continue
        old = current.get(key)
        view = copy.deepcopy(old) if old else {}
        vtype = vdoc.get("type", view.get("type"))
        if vtype not in VIEW_TYPES:
            errs.add(base + ".type", "enum")
            continue
        if api._is_blank(vdoc.get("index")):
            errs.add(base + ".index", "required_field")
            continue
        try:
            index = api.to_int(vdoc["index"], base + ".index")
        except KintoneError:
            errs.add(base + ".index", "must_be_number")
            continue
        name = vdoc.get("name", view.get("name", key))
        if not isinstance(name, str) or not name or len(name) > 64:
            errs.add(base + ".name", "invalid_value")
            continue
        if vtype != view.get("type"):
            view = {}  # CHOICE: a type change drops the old type's members
        view.update({"type": vtype, "name": name, "index": str(index),
                     "id": view.get("id") or _new_view_id(state),
                     "filterCond": str(vdoc.get("filterCond", view.get("filterCond", "")) or ""),
                     "sort": str(vdoc.get("sort", view.get("sort", "")) or "")})
        if vtype == "LIST":
            fields = vdoc.get("fields", view.get("fields", []))
            if not isinstance(fields, list):
                errs.add(base + ".fields", "invalid_value")
                fields = []
            for i, code in enumerate(fields):
                if code not in properties:
                    errs.add("%s.fields[%d]" % (base, i), "invalid_value")
            view["fields"] = [str(c) for c in fields]
        elif vtype == "CALENDAR":
            for member in ("date", "title"):
                v = vdoc.get(member, view.get(member, ""))
                if v and v not in properties:
                    errs.add("%s.%s" % (base, member), "invalid_value")
                view[member] = str(v or "")
        else:
            view["html"] = str(vdoc.get("html", view.get("html", "")) or "")
            view["pager"] = api.bool_param(vdoc.get("pager", view.get("pager", True)))
            view["device"] = vdoc.get("device", view.get("device", "DESKTOP"))
            if view["device"] not in ("DESKTOP", "ANY"):
                errs.add(base + ".device", "enum")
        # The condition and the order are checked with the query engine (against the live form).
        if not _valid(app, view["filterCond"]):
            errs.add(base + ".filterCond", "query_syntax")
        elif view["sort"] and not _valid(app, view["filterCond"] + " order by " + view["sort"]):
            errs.add(base + ".sort", "query_syntax")
        if name in out:
            errs.add(base + ".name", "invalid_value")  # two views of the same name
        out[name] = view
    if errors is None and errs:
        raise KintoneError("CB_VA01", errors=errs)
    return dict(sorted(out.items(), key=lambda kv: int(kv[1]["index"])))


def _valid(app, cond):
    if not cond.strip():
        return True
    try:
        Q._compiled(app, cond)
        return True
    except KintoneError:
        return False


def _new_view_id(state):
    vid = state.next_view_id
    state.next_view_id += 1
    return str(vid)


def get_views(call):
    app = api.app_param(call, "settings_read")
    _lang(call)
    return {"views": copy.deepcopy(app.views), "revision": str(app.settings_revision)}


def get_preview_views(call):
    app = api.app_param(call, "manage")
    _lang(call)
    return {"views": copy.deepcopy(app.preview_views), "revision": str(app.preview_revision)}


def update_views(call):
    """PUT preview/app/views.json {app, views, revision?} -> {"views": {name: {"id"}}, "revision"}."""
    app = api.app_param(call, "manage")
    api._check_settings_revision(app, call.params)
    if not isinstance(call.params.get("views"), dict):
        raise validation_error("views", "required_field")
    views = normalize_views(call.params["views"], app, call.state, app.preview_views, app.preview_properties)
    app.preview_views = views
    out = api._bump_preview(app)
    return {"views": {name: {"id": v["id"]} for name, v in views.items()}, "revision": out["revision"]}


def _lang(call):
    lang = call.params.get("lang")
    if not api._is_blank(lang) and lang not in LANGS + ("default", "user"):
        raise validation_error("lang", "enum")
    return lang


# ---------------------------------------------------------------- general settings

def general_of(app, preview=False):
    out = copy.deepcopy(DEFAULT_GENERAL)
    out.update(copy.deepcopy(app.preview_general if preview else app.general))
    return out


def normalize_general(doc, app, state, current, errors=None):
    """PUT preview/app/settings.json members (or a seed's "settings") merged into `current`.
    Members not sent are kept; name/description are returned separately."""
    errs = errors if errors is not None else FieldErrors()
    out = copy.deepcopy(current)
    name = description = None
    if doc.get("name") is not None:
        name = doc["name"]
        if not isinstance(name, str) or not name.strip():
            errs.add("name", "required_field")
        elif len(name) > 64:
            errs.add("name", "max_chars", n=64)
    if doc.get("description") is not None:
        description = doc["description"]
        if not isinstance(description, str) or len(description) > 10000:
            errs.add("description", "max_chars", n=10000)
    if doc.get("icon") is not None:
        icon = doc["icon"]
        if not isinstance(icon, dict) or icon.get("type") not in ("PRESET", "FILE"):
            errs.add("icon.type", "enum")
        elif icon["type"] == "PRESET":
            if api._is_blank(icon.get("key")):
                errs.add("icon.key", "required_field")
            else:
                out["icon"] = {"type": "PRESET", "key": str(icon["key"])}
        else:
            key = (icon.get("file") or {}).get("fileKey") if isinstance(icon.get("file"), dict) else None
            meta = state.files.get(str(key)) if key else None
            if meta is None:
                raise KintoneError("GAIA_BL01", args={"id": key})
            out["icon"] = {"type": "FILE", "file": {"contentType": meta.get("contentType", "application/octet-stream"),
                                                    "fileKey": str(key), "name": meta.get("name", str(key)),
                                                    "size": str(meta.get("size", "0"))}}
    if doc.get("theme") is not None:
        if doc["theme"] not in THEMES:
            errs.add("theme", "enum")
        else:
            out["theme"] = doc["theme"]
    if doc.get("titleField") is not None:
        tf = doc["titleField"]
        mode = tf.get("selectionMode") if isinstance(tf, dict) else None
        if mode == "AUTO":
            out["titleField"] = {"selectionMode": "AUTO", "code": ""}
        elif mode == "MANUAL" and isinstance(tf.get("code"), str) and tf["code"] in app.preview_properties:
            out["titleField"] = {"selectionMode": "MANUAL", "code": tf["code"]}
        else:
            errs.add("titleField", "invalid_value")
    for flag in ("enableThumbnails", "enableBulkDeletion", "enableComments", "enableDuplicateRecord",
                 "enableInlineRecordEditing"):
        if doc.get(flag) is not None:
            out[flag] = api.bool_param(doc[flag])
    if doc.get("numberPrecision") is not None:
        np_ = doc["numberPrecision"]
        cur = dict(out.get("numberPrecision") or DEFAULT_GENERAL["numberPrecision"])
        if not isinstance(np_, dict):
            errs.add("numberPrecision", "invalid_value")
        else:
            for member, lo, hi in (("digits", 1, 30), ("decimalPlaces", 0, 10)):
                if np_.get(member) is not None:
                    try:
                        v = api.to_int(np_[member], "numberPrecision." + member)
                    except KintoneError:
                        v = None
                    if v is None or not lo <= v <= hi:
                        errs.add("numberPrecision." + member, "invalid_value")
                    else:
                        cur[member] = str(v)
            if np_.get("roundingMode") is not None:
                if np_["roundingMode"] not in ROUNDING:
                    errs.add("numberPrecision.roundingMode", "enum")
                else:
                    cur["roundingMode"] = np_["roundingMode"]
            out["numberPrecision"] = cur
    if doc.get("firstMonthOfFiscalYear") is not None:
        try:
            month = api.to_int(doc["firstMonthOfFiscalYear"], "firstMonthOfFiscalYear")
        except KintoneError:
            month = 0
        if not 1 <= month <= 12:
            errs.add("firstMonthOfFiscalYear", "invalid_value")
        else:
            out["firstMonthOfFiscalYear"] = str(month)
    if errors is None and errs:
        raise KintoneError("CB_VA01", errors=errs)
    return out, name, description


def _settings_body(call, app, preview):
    lang = _lang(call)
    if lang == "user":
        from .process import display_language
        lang = display_language(call)
    name = app.preview_name if preview and app.preview_name is not None else app.name
    description = app.preview_description if preview and app.preview_description is not None else app.description
    if lang in LANGS and app.names.get(lang):
        name = app.names[lang]
    body = {"name": name, "description": description}
    body.update(general_of(app, preview))
    body["revision"] = str(app.preview_revision if preview else app.settings_revision)
    return body


def get_settings(call):
    app = api.app_param(call, "settings_read")
    return _settings_body(call, app, False)


def get_preview_settings(call):
    app = api.app_param(call, "manage")
    return _settings_body(call, app, True)


def update_settings(call):
    """PUT preview/app/settings.json: members not sent are not changed -> {"revision"}."""
    app = api.app_param(call, "manage")
    api._check_settings_revision(app, call.params)
    general, name, description = normalize_general(call.params, app, call.state, app.preview_general)
    app.preview_general = general
    if name is not None:
        app.preview_name = name
    if description is not None:
        app.preview_description = description
    return api._bump_preview(app)


def deploy(app, revert):
    """Called by api.deploy for each app: views and general settings go live (or back)."""
    if revert:
        app.preview_views = copy.deepcopy(app.views)
        app.preview_general = copy.deepcopy(app.general)
        app.preview_name = app.preview_description = None
        return
    app.views = copy.deepcopy(app.preview_views)
    app.general = copy.deepcopy(app.preview_general)
    if app.preview_name is not None:
        app.name = app.preview_name
    if app.preview_description is not None:
        app.description = app.preview_description
    app.preview_name = app.preview_description = None


# ---------------------------------------------------------------- spaces (contract 4.14)

def space_body(call, space):
    state = call.state
    creator = space.get("creator") or "Administrator"
    user = state.users.get(creator)
    who = {"code": creator, "name": user.name if user else creator}
    members = space.get("members")
    attached = []
    for app_id in sorted(state.apps):
        app = state.apps[app_id]
        if app.space != space["id"] or not api._user_may_see(call, app):
            continue  # CHOICE: apps the caller may not use are not listed (as apps.json)
        attached.append({"threadId": str(app.thread) if app.thread is not None else str(space["id"]),
                         "appId": str(app.id), "code": app.code, "name": app.name,
                         "description": app.description, "createdAt": app.created_at,
                         "creator": dict(app.creator), "modifiedAt": app.modified_at,
                         "modifier": dict(app.modifier)})
    return {
        "id": str(space["id"]), "name": space.get("name", ""),
        "defaultThread": str(space.get("defaultThread", space["id"])),
        "isPrivate": bool(space.get("isPrivate", False)),
        "creator": who, "modifier": dict(who),
        "memberCount": str(len(members) if members is not None else len(state.users)),
        "coverType": "PRESET", "coverKey": space.get("coverKey", "GREEN"), "coverUrl": space.get("coverUrl", ""),
        "body": space.get("body", ""),
        "useMultiThread": bool(space.get("useMultiThread", False)),
        "isGuest": bool(space.get("guest", False)),
        "attachedApps": attached,
        "fixedMember": bool(space.get("fixedMember", False)),
        "showAnnouncement": space.get("showAnnouncement", True),
        "showThreadList": space.get("showThreadList", True),
        "showAppList": space.get("showAppList", True),
        "showMemberList": space.get("showMemberList", True),
        "showRelatedLinkList": space.get("showRelatedLinkList", True),
        "permissions": {"createApp": space.get("createApp", "EVERYONE")},
    }


def get_space(call):
    """GET space.json?id=N. Password/OAuth only (API tokens: 403 GAIA_NO01, as apps.json).
    CHOICE [UNV]: an unknown space, a private space the user is not a member of, a guest space
    on /k/v1 or on another guest path, and a normal space on a guest path all answer 403
    CB_NO02 (no way to tell a missing space from a hidden one)."""
    call.principal.require_user("k:app_settings:read")
    sid = api.int_param(call.params, "id")
    space = call.state.spaces.get(sid)
    if space is None:
        raise KintoneError("CB_NO02")
    guest = bool(space.get("guest"))
    if (call.guest is None) == guest or (guest and call.guest != sid):
        raise KintoneError("CB_NO02")
    members = space.get("members")
    user = call.principal.user
    if space.get("isPrivate") and members is not None and user.code not in members and not user.admin:
        raise KintoneError("CB_NO02")
    return space_body(call, space)


ROUTES = {
    ("app/views", "GET"): get_views,
    ("preview/app/views", "GET"): get_preview_views,
    ("preview/app/views", "PUT"): update_views,
    ("app/settings", "GET"): get_settings,
    ("preview/app/settings", "GET"): get_preview_settings,
    ("preview/app/settings", "PUT"): update_settings,
    ("space", "GET"): get_space,
}
