"""Process management (contract 4.10): the app's settings, the STATUS / STATUS_ASSIGNEE fields of
its records, and the endpoints

    GET  app/status.json, GET/PUT preview/app/status.json      settings (deploy: api.deploy)
    PUT  record/status.json, records/status.json (<= 100)      run an action
    PUT  record/assignees.json (<= 100 assignees)              set the assignees

(all usable inside bulkRequest; records/status.json and bulkRequest are all-or-nothing through
the Journal). Settings are stored in GET app/status.json shape on App.process (live) and
App.preview_process:

    {"enable": bool,
     "states": {name: {"name", "index": "0", "assignee": {"type": "ONE"|"ALL"|"ANY",
                "entities": [{"entity": {"type", "code"}, "includeSubs": bool}]},
                "names": {"en": "Done", ...}}} or None,
     "actions": [{"name", "from", "to", "filterCond", "type": "PRIMARY"|"SECONDARY",
                  "executableUser": {"entities": [...]} (SECONDARY only), "names": {...}}] or None}

"names" (an emulator extension of the seed and PUT body, never returned) holds an action's or a
status's name in other languages. Records store the default names.

What an action does (the rules of the contract and cybozu.dev; the rest is CHOICE, listed in
the README):
* The action is found by name among the actions leaving the record's current status, in the
  caller's language (`names[lang]`, else the default name; lang = the user's fixed language,
  else Accept-Language, else the domain's; API tokens: the domain's, seed "domain_language").
  None (or several) -> GAIA_IL03; a filterCond the record does not meet -> GAIA_IL03.
* Who may act: anyone who may view the record when it has no assignee; otherwise only an
  assignee, or, for a SECONDARY action, a user of its executableUser entities -> else
  GAIA_NT01. API tokens act as the user "Administrator" (cybozu.dev update-status).
* The record moves to `to` (revision +2; MODIFIER/UPDATED_TIME updated). New assignees: for a
  destination of type ONE with candidates the `assignee` login name is required (GAIA_SA01)
  and must be a candidate (CB_VA01 errors.assignee); with no candidate it is ignored and the
  record has no assignee; ALL/ANY: every candidate. Candidates: USER, members of GROUP /
  ORGANIZATION (seed "members"; an organization also holds the users whose
  primary_organization it is), FIELD_ENTITY (the users of that field of the record), CREATOR
  (the app's creator), CUSTOM_FIELD (nobody).
* A state of type ALL with several assignees: an assignee's action only removes them from the
  assignees (revision +1, status unchanged) until the last one acts, who moves the record.
* New records (POST, upsert inserts) start in the first status (lowest index), assigned to its
  only candidate if it has exactly one.
"""

import copy

from . import api
from . import model
from . import query as Q
from .errors import FieldErrors, KintoneError, pick_language, validation_error

MAX_ASSIGNEES = 100
ASSIGNEE_TYPES = ("ONE", "ALL", "ANY")
ENTITY_TYPES = ("USER", "GROUP", "ORGANIZATION", "FIELD_ENTITY", "CREATOR", "CUSTOM_FIELD")
ACTION_TYPES = ("PRIMARY", "SECONDARY")
LANGS = ("ja", "en", "zh")
_ENTITY_FIELD_TYPES = ("USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "CREATOR", "MODIFIER")


# ---------------------------------------------------------------- settings

def empty_settings():
    return {"enable": False, "states": None, "actions": None}


def codes_of(app):
    """(STATUS code, STATUS_ASSIGNEE code) of the app's form (ja defaults if absent)."""
    status, assignee = "ステータス", "作業者"
    for code, prop in app.properties.items():
        if isinstance(prop, dict):
            if prop.get("type") == "STATUS":
                status = code
            elif prop.get("type") == "STATUS_ASSIGNEE":
                assignee = code
    return status, assignee


def enabled(proc):
    return bool(proc and proc.get("enable") and proc.get("states"))


def first_state(proc):
    states = (proc or {}).get("states") or {}
    return min(states.values(), key=lambda s: int(s["index"])) if states else None


def localized(obj, lang):
    """The name of a state or action in language lang ("default" = the default name)."""
    return ((obj.get("names") or {}).get(lang) if lang in LANGS else None) or obj["name"]


def display_language(call):
    """The caller's display language (contract 4.10): the user's fixed language, else
    Accept-Language, else the domain's locale; API tokens use the domain's locale."""
    user = call.principal.user
    if user is not None and user.language in LANGS:
        return user.language
    if call.principal.kind != "token" and call.accept:
        return pick_language(call.accept)
    return call.state.domain_language


def normalize(doc, app, state, current=None, errors=None, key=""):
    """A PUT preview/app/status.json body (or a seed's "process_management") merged into the
    stored settings `current` (None = none yet). Returns (settings, renames {old: new}).
    Validation errors go to `errors` (CB_VA01 keys like "states.未処理.assignee.type")."""
    errs = errors if errors is not None else FieldErrors()
    cur = copy.deepcopy(current) if current else empty_settings()
    out = {"enable": cur["enable"], "states": cur["states"], "actions": cur["actions"]}
    renames = {}
    if doc.get("enable") is not None:
        out["enable"] = api.bool_param(doc["enable"])
    old_states = cur["states"] or {}
    if doc.get("states") is not None:
        states_doc = doc["states"]
        if not isinstance(states_doc, dict):
            errs.add(key + "states", "invalid_value")
            states_doc = {}
        new_states = {}
        origin = {}  # new name -> its key in the body
        for skey, sdoc in states_doc.items():
            base = "%sstates.%s" % (key, skey)
            if not isinstance(sdoc, dict):
                errs.add(base, "invalid_value")
                continue
            old = old_states.get(skey)
            st = copy.deepcopy(old) if old else {"name": skey, "index": None, "assignee": None}
            name = sdoc.get("name", st["name"] if old else None)
            if api._is_blank(name) or not isinstance(name, str):
                errs.add(base + ".name", "required_field")
                continue
            if len(name) > 64:
                errs.add(base + ".name", "max_chars", n=64)
            if old is None and name != skey:
                errs.add(base + ".name", "invalid_value")  # a new status: name = its key
            if api._is_blank(sdoc.get("index")) and st["index"] is None:
                errs.add(base + ".index", "required_field")
                continue
            if not api._is_blank(sdoc.get("index")):
                try:
                    st["index"] = str(api.to_int(sdoc["index"], base + ".index"))
                except KintoneError:
                    errs.add(base + ".index", "must_be_number")
                    continue
            if sdoc.get("assignee") is not None:
                st["assignee"] = _assignee(sdoc["assignee"], app, state, errs, base + ".assignee")
            elif st["assignee"] is None:
                # An omitted assignee becomes "the record's creator" [OBS SG real-kintone notes].
                st["assignee"] = {"type": "ONE", "entities": [
                    {"entity": {"type": "FIELD_ENTITY", "code": _creator_code(app)}, "includeSubs": False}]}
            if sdoc.get("names") is not None:
                st["names"] = _names(sdoc["names"], errs, base + ".names")
            st["name"] = name
            if old is not None and name != skey:
                renames[skey] = name
            new_states[name] = st
            origin[name] = skey
        if len({s["index"] for s in new_states.values()}) != len(new_states):
            errs.add(key + "states", "invalid_value")  # two statuses at the same index
        ordered = sorted(new_states.values(), key=lambda s: int(s["index"]))
        if ordered:
            first = ordered[0]
            if old_states and origin[first["name"]] not in old_states:
                # "The first status cannot be added": it must be an existing one (renamed or not).
                errs.add("%sstates.%s" % (key, origin[first["name"]]), "invalid_value")
            a = first["assignee"] or {}
            ents = a.get("entities") or []
            if a.get("type") != "ONE" or not (ents == [] or (
                    len(ents) == 1 and ents[0]["entity"] == {"type": "FIELD_ENTITY", "code": _creator_code(app)})):
                errs.add("%sstates.%s.assignee" % (key, first["name"]), "state_first_assignee")
        out["states"] = {s["name"]: s for s in ordered} or None
        if out["actions"] and doc.get("actions") is None:
            for a in out["actions"]:  # renamed statuses carry over to the existing actions
                a["from"], a["to"] = renames.get(a["from"], a["from"]), renames.get(a["to"], a["to"])
    if doc.get("actions") is not None:
        actions_doc = doc["actions"]
        if not isinstance(actions_doc, list):
            errs.add(key + "actions", "invalid_value")
            actions_doc = []
        actions = []
        for i, adoc in enumerate(actions_doc):
            base = "%sactions[%d]" % (key, i)
            if not isinstance(adoc, dict) or api._is_blank(adoc.get("name")):
                errs.add(base + ".name", "required_field")
                continue
            act = {"name": str(adoc["name"]), "from": str(adoc.get("from") or ""), "to": str(adoc.get("to") or ""),
                   "filterCond": str(adoc.get("filterCond") or ""), "type": str(adoc.get("type") or "PRIMARY")}
            if act["type"] not in ACTION_TYPES:
                errs.add(base + ".type", "enum")
            if act["type"] == "SECONDARY":
                eu = adoc.get("executableUser") or {}
                act["executableUser"] = {"entities": _entities(
                    eu.get("entities") if isinstance(eu, dict) else None, app, state, errs,
                    base + ".executableUser.entities", allow=("USER", "GROUP", "ORGANIZATION", "FIELD_ENTITY"))}
            if adoc.get("names") is not None:
                act["names"] = _names(adoc["names"], errs, base + ".names")
            if act["filterCond"]:
                try:
                    Q._compiled(app, act["filterCond"])
                except KintoneError:
                    errs.add(base + ".filterCond", "query_syntax")
            actions.append(act)
        out["actions"] = actions
    names = set((out["states"] or {}).keys())
    for i, act in enumerate(out["actions"] or []):
        for end in ("from", "to"):
            if act[end] not in names:
                errs.add("%sactions[%d].%s" % (key, i, end), "state_unknown", value=act[end])
    if out["enable"] and not out["states"]:
        errs.add(key + "states", "required_field")
    if errors is None and errs:
        raise KintoneError("CB_VA01", errors=errs)
    return out, renames


def _creator_code(app):
    for code, prop in app.properties.items():
        if isinstance(prop, dict) and prop.get("type") == "CREATOR":
            return code
    return "作成者"


def _names(doc, errs, key):
    if not isinstance(doc, dict) or any(k not in LANGS or not isinstance(v, str) for k, v in doc.items()):
        errs.add(key, "invalid_value")
        return {}
    return dict(doc)


def _assignee(doc, app, state, errs, key):
    if not isinstance(doc, dict):
        errs.add(key, "invalid_value")
        return {"type": "ONE", "entities": []}
    typ = doc.get("type")
    if typ not in ASSIGNEE_TYPES:
        errs.add(key + ".type", "enum")
        typ = "ONE"
    return {"type": typ, "entities": _entities(doc.get("entities"), app, state, errs, key + ".entities")}


def _entities(doc, app, state, errs, key, allow=ENTITY_TYPES):
    if doc is None:
        return []
    if not isinstance(doc, list):
        errs.add(key, "invalid_value")
        return []
    out = []
    for i, item in enumerate(doc):
        ent = item.get("entity") if isinstance(item, dict) else None
        base = "%s[%d].entity" % (key, i)
        if not isinstance(ent, dict) or ent.get("type") not in allow:
            errs.add(base + ".type", "enum")
            continue
        typ, code = ent["type"], ent.get("code")
        if typ == "CREATOR":
            code = None
        elif not isinstance(code, str) or not _entity_exists(app, state, typ, code):
            errs.add(base + ".code", "entity_not_found", value=code)
            continue
        out.append({"entity": {"type": typ, "code": code}, "includeSubs": api.bool_param(item.get("includeSubs"))})
    return out


def _entity_exists(app, state, typ, code):
    if typ == "USER":
        return code in state.users
    if typ == "GROUP":
        return code in state.groups
    if typ == "ORGANIZATION":
        return code in state.organizations
    if typ == "FIELD_ENTITY":
        prop = app.preview_properties.get(code) or app.properties.get(code)
        return isinstance(prop, dict) and prop.get("type") in _ENTITY_FIELD_TYPES
    return True  # CUSTOM_FIELD: cybozu.com custom items are not modelled


def render(proc, lang, revision):
    """GET app/status.json body. lang: "default" or a language code."""
    proc = proc or empty_settings()
    states = None
    if proc.get("states"):
        states = {}
        for st in sorted(proc["states"].values(), key=lambda s: int(s["index"])):
            name = localized(st, lang)
            states[name] = {"name": name, "index": st["index"], "assignee": copy.deepcopy(st["assignee"])}
    actions = None
    if proc.get("actions") is not None:
        by_name = proc.get("states") or {}
        actions = []
        for act in proc["actions"]:
            out = {"name": localized(act, lang),
                   "from": localized(by_name[act["from"]], lang) if act["from"] in by_name else act["from"],
                   "to": localized(by_name[act["to"]], lang) if act["to"] in by_name else act["to"],
                   "filterCond": act["filterCond"], "type": act["type"]}
            if act["type"] == "SECONDARY":
                out["executableUser"] = copy.deepcopy(act.get("executableUser") or {"entities": []})
            actions.append(out)
    return {"enable": bool(proc.get("enable")), "states": states, "actions": actions, "revision": str(revision)}


def set_enabled_fields(properties, on):
    """STATUS / STATUS_ASSIGNEE follow the process management switch (contract 4.10)."""
    for prop in properties.values():
        if isinstance(prop, dict) and prop.get("type") in ("STATUS", "STATUS_ASSIGNEE"):
            prop["enabled"] = bool(on)


# ---------------------------------------------------------------- assignees

def candidates(state, app, entities, values):
    """User codes named by assignee/executableUser entities for a record with `values`."""
    out = []
    for item in entities or ():
        ent = item["entity"]
        typ, code = ent["type"], ent.get("code")
        if typ == "USER":
            users = [code]
        elif typ in ("GROUP", "ORGANIZATION"):
            users = _members(state, typ, code)
        elif typ == "FIELD_ENTITY":
            v = values.get(code)
            if isinstance(v, dict):
                users = [v.get("code")]
            elif isinstance(v, list):
                prop = app.properties.get(code) or {}
                kind = {"ORGANIZATION_SELECT": "ORGANIZATION", "GROUP_SELECT": "GROUP"}.get(prop.get("type"))
                users = []
                for e in v:
                    c = e.get("code") if isinstance(e, dict) else None
                    users.extend(_members(state, kind, c) if kind else [c])
            else:
                users = []
        elif typ == "CREATOR":
            users = [app.creator.get("code")]
        else:
            users = []
        for u in users:
            if u in state.users and u not in out:
                out.append(u)
    return out


def _members(state, typ, code):
    users = list(state.members.get((typ, code), ()))
    if typ == "ORGANIZATION":
        users += [u.code for u in state.users.values() if u.primary_organization == code and u.code not in users]
    return users


def _entity(state, code):
    return {"code": code, "name": state.users[code].name}


def default_assignees(state, app, st, values):
    """Assignees of a record put in status st without a choice: every candidate for ALL/ANY,
    the only candidate for ONE (none when there are several)."""
    cands = candidates(state, app, st["assignee"]["entities"], values)
    if st["assignee"]["type"] == "ONE" and len(cands) != 1:
        return []
    return [_entity(state, c) for c in cands]


def initial_values(app, state, values):
    """STATUS / STATUS_ASSIGNEE of a new record (called by fields.prepare_add)."""
    proc = app.process
    if not enabled(proc):
        return
    status_code, assignee_code = codes_of(app)
    first = first_state(proc)
    values[status_code] = first["name"]
    values[assignee_code] = default_assignees(state, app, first, values)


def apply_deploy(app, old, new, renames, state):
    """Records after a deploy of process settings: statuses renamed; when process management
    gets enabled (or a record's status no longer exists) the record goes to the first status
    with its initial assignees (CHOICE for the latter). Revisions are not changed."""
    if not enabled(new):
        return
    status_code, assignee_code = codes_of(app)
    names = set(new["states"])
    was_on = enabled(old)
    for rid in app.ids:
        rec = app.records[rid]
        cur = rec.values.get(status_code)
        cur = renames.get(cur, cur)
        if was_on and cur in names:
            if cur != rec.values.get(status_code):
                values = dict(rec.values)
                values[status_code] = cur
                app.records[rid] = model.Record(rid, rec.revision, values)
            continue
        values = dict(rec.values)
        initial_values(app, state, values)
        app.records[rid] = model.Record(rid, rec.revision, values)


# ---------------------------------------------------------------- endpoints

def _process_of(app):
    """The live settings; GAIA_ST02 when process management is off."""
    if not enabled(app.process):
        raise KintoneError("GAIA_ST02")
    return app.process


def get_status_settings(call):
    app = api.app_param(call, "settings_read")
    return render(app.process, _lang_param(call), app.settings_revision)


def get_preview_status_settings(call):
    app = api.app_param(call, "manage")
    return render(app.preview_process, _lang_param(call), app.preview_revision)


def _lang_param(call):
    lang = call.params.get("lang")
    if api._is_blank(lang) or lang == "default":
        return "default"
    if lang == "user":
        return display_language(call)
    if lang not in LANGS:
        raise validation_error("lang", "enum")
    return lang


def update_status_settings(call):
    """PUT preview/app/status.json {app, enable?, states?, actions?, revision?}."""
    app = api.app_param(call, "manage")
    api._check_settings_revision(app, call.params)
    proc, renames = normalize(call.params, app, call.state, current=app.preview_process)
    app.preview_process = proc
    # Renames since the last deploy, chained: live name -> newest name (applied to records).
    pending = dict(getattr(app, "pending_renames", {}))
    for old, new in renames.items():
        hit = [live for live, now in pending.items() if now == old]
        for live in hit:
            pending[live] = new
        if not hit:
            pending[old] = new
    app.pending_renames = pending
    set_enabled_fields(app.preview_properties, enabled(proc))
    return api._bump_preview(app)


def deploy(app, revert, state):
    """Called by api.deploy for each app."""
    if revert:
        app.preview_process = copy.deepcopy(app.process)
        set_enabled_fields(app.preview_properties, enabled(app.process))
    else:
        old, app.process = app.process, copy.deepcopy(app.preview_process)
        apply_deploy(app, old, app.process, getattr(app, "pending_renames", {}), state)
    app.pending_renames = {}


def _record_item(call, app, item, prefix):
    """The record of one status/assignee item, revision checked."""
    raw = item.get("id")
    if api._is_blank(raw):
        raise validation_error(prefix + "id", "required_field")
    rid = api.to_int(raw, prefix + "id")
    record = app.records.get(rid)
    if record is None:
        raise KintoneError("GAIA_RE01", args={"id": rid})
    revision = api.revision_param(item.get("revision"), prefix + "revision")
    if revision is not None and revision != record.revision:
        raise KintoneError("GAIA_CO02")
    return record


def _actor(call):
    user = call.principal.user
    return user.code if user is not None else "Administrator"


def _touch(call, app, values):
    """MODIFIER / UPDATED_TIME of a status or assignee change (CHOICE: as an edit)."""
    ctx = call.write_ctx(app)
    for code, prop in app.properties.items():
        t = prop.get("type") if isinstance(prop, dict) else None
        if t == "MODIFIER":
            values[code] = ctx.entity()
        elif t == "UPDATED_TIME":
            values[code] = ctx.now_text()


def run_action(call, app, proc, item, prefix):
    """Run one action ({"id", "action", "assignee"?, "revision"?}); returns the new Record."""
    if not isinstance(item, dict):
        raise validation_error(prefix.rstrip("."), "required_field")
    record = _record_item(call, app, item, prefix)
    name = item.get("action")
    if api._is_blank(name) or not isinstance(name, str):
        raise validation_error(prefix + "action", "required_field")
    status_code, assignee_code = codes_of(app)
    current = record.values.get(status_code)
    lang = display_language(call)
    found = [a for a in proc["actions"] or () if a["from"] == current and localized(a, lang) == name]
    if len(found) != 1:
        raise KintoneError("GAIA_IL03")  # not available in this status (or ambiguous)
    action = found[0]
    if action["filterCond"]:
        matched, _ = Q.execute(app, "$id = %d and (%s)" % (record.id, action["filterCond"]), call.query_ctx())
        if not matched:
            raise KintoneError("GAIA_IL03")  # the record does not meet the action's condition
    actor = _actor(call)
    assignees = [e.get("code") for e in record.values.get(assignee_code) or []]
    if assignees and actor not in assignees:
        allowed = action["type"] == "SECONDARY" and actor in candidates(
            call.state, app, (action.get("executableUser") or {}).get("entities"), record.values)
        if not allowed:
            raise KintoneError("GAIA_NT01")
    values = dict(record.values)
    state_now = (proc["states"] or {}).get(current) or {}
    if (state_now.get("assignee") or {}).get("type") == "ALL" and actor in assignees and len(assignees) > 1:
        values[assignee_code] = [e for e in record.values[assignee_code] if e.get("code") != actor]
        bump = 1
    else:
        dest = proc["states"][action["to"]]
        values[status_code] = dest["name"]
        values[assignee_code] = _destination_assignees(call, app, dest, item.get("assignee"), record, prefix)
        bump = 2
    _touch(call, app, values)
    new = model.Record(record.id, record.revision + bump, values)
    call.journal.put(app, new)
    return new


def _destination_assignees(call, app, dest, assignee, record, prefix):
    state = call.state
    cands = candidates(state, app, dest["assignee"]["entities"], record.values)
    if dest["assignee"]["type"] != "ONE":
        return [_entity(state, c) for c in cands]
    if not cands:
        return []
    if api._is_blank(assignee):
        raise KintoneError("GAIA_SA01")
    if not isinstance(assignee, str) or assignee not in cands:
        raise validation_error(prefix + "assignee", "assignee_not_candidate", value=assignee)
    return [_entity(state, assignee)]


def update_status(call):
    """PUT record/status.json {app, id, action, assignee?, revision?} -> {"revision"}."""
    app = api.app_param(call, "status")
    new = run_action(call, app, _process_of(app), call.params, "")
    return {"revision": str(new.revision)}


def update_statuses(call):
    """PUT records/status.json {app, records: [...]} (<= 100, all or nothing)."""
    app = api.app_param(call, "status")
    items = call.params.get("records")
    if not isinstance(items, list) or not items:
        raise validation_error("records", "required_field")
    if len(items) > api.MAX_WRITE:
        raise validation_error("records", "records_update_max")
    proc = _process_of(app)
    out = []
    for i, item in enumerate(items):
        new = run_action(call, app, proc, item, "records[%d]." % i)
        out.append({"id": str(new.id), "revision": str(new.revision)})
    return {"records": out}


def update_assignees(call):
    """PUT record/assignees.json {app, id, assignees: [login, ...], revision?} (+1 revision)."""
    app = api.app_param(call, "assignees")
    _process_of(app)
    record = _record_item(call, app, call.params, "")
    codes = api.list_param(call.params, "assignees")
    if codes is None:
        raise validation_error("assignees", "required_field")
    if len(codes) > MAX_ASSIGNEES:
        raise validation_error("assignees", "max_items", n=MAX_ASSIGNEES)
    errs = FieldErrors()
    chosen = []
    for i, code in enumerate(codes):
        if not isinstance(code, str) or code not in call.state.users:
            errs.add("assignees[%d]" % i, "user_not_found", value=code)
        elif code not in chosen:
            chosen.append(code)
    if errs:
        raise KintoneError("CB_VA01", errors=errs)
    _, assignee_code = codes_of(app)
    values = dict(record.values)
    values[assignee_code] = [_entity(call.state, c) for c in chosen]
    _touch(call, app, values)
    new = model.Record(record.id, record.revision + 1, values)
    call.journal.put(app, new)
    return {"revision": str(new.revision)}


ROUTES = {
    ("app/status", "GET"): get_status_settings,
    ("preview/app/status", "GET"): get_preview_status_settings,
    ("preview/app/status", "PUT"): update_status_settings,
    ("record/status", "PUT"): update_status,
    ("records/status", "PUT"): update_statuses,
    ("record/assignees", "PUT"): update_assignees,
}
BULK = {("record/status", "PUT"), ("records/status", "PUT"), ("record/assignees", "PUT")}
