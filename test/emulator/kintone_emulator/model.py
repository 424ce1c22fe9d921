"""The emulator's in-memory data model, shared by every module.

Representation (the contract every module relies on):

* App.properties: the deployed form, exactly as GET app/form/fields.json "properties"
  returns it: {code: {"type", "code", "label", ...}}; a SUBTABLE property has
  "fields": {inner_code: property}. System fields (RECORD_NUMBER, CREATOR, MODIFIER,
  CREATED_TIME, UPDATED_TIME, and STATUS/STATUS_ASSIGNEE/CATEGORY with "enabled": false)
  are present too. App.preview_properties is the pre-deploy copy.
* Record.values: {code: value} with the *API value* of each field (the "value" member of a
  record response, without "type"):
    NUMBER/CALC/text/LINK/RICH_TEXT -> str; CHECK_BOX/MULTI_SELECT/CATEGORY -> [str];
    RADIO_BUTTON/DROP_DOWN -> str or None; DATE/TIME -> str or None; DATETIME -> str ("" empty);
    USER/ORGANIZATION/GROUP_SELECT, STATUS_ASSIGNEE -> [{"code", "name"}];
    CREATOR/MODIFIER -> {"code", "name"}; CREATED_TIME/UPDATED_TIME -> "YYYY-MM-DDTHH:MM:00Z";
    FILE -> [{"contentType", "fileKey", "name", "size"}];
    SUBTABLE -> [{"id": "<row id>", "value": {inner_code: inner API value}}].
  RECORD_NUMBER, $id and $revision are not stored in values; they derive from Record.id,
  Record.revision and App.code. A code missing from values means "never written" (read as
  the type's empty value, or omitted as real Kintone does for CALC).
* App.records: {id: Record}; App.ids: ascending list of record ids (kept sorted: ids only
  grow), so a query can bisect on $id.
"""

import bisect
import datetime
import threading


class Record:
    __slots__ = ("id", "revision", "values", "cache")

    def __init__(self, rid, revision, values):
        self.id = rid
        self.revision = revision
        self.values = values
        self.cache = None  # owned by the response formatter; reset on every write

    def copy(self):
        return Record(self.id, self.revision, _deep_copy(self.values))


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


class App:
    def __init__(self, app_id, name, code="", space=None, thread=None, description=""):
        self.id = app_id
        self.name = name
        self.code = code or ""
        self.space = space  # space id (int) or None
        self.thread = thread
        self.description = description
        self.properties = {}
        self.preview_properties = {}
        self.layout = []
        self.preview_layout = []
        self.settings_revision = 1  # revision of form settings (fields.json "revision")
        self.preview_revision = 1
        self.deploy_status = "SUCCESS"
        self.records = {}
        self.ids = []
        self.next_id = 1
        self.next_row_id = 1
        self.tokens = []  # [{"token", "view", "add", "edit", "delete", "manage"}]
        self.created_at = "2026-01-01T00:00:00.000Z"
        self.modified_at = "2026-01-01T00:00:00.000Z"
        self.creator = {"code": "Administrator", "name": "Administrator"}
        self.modifier = {"code": "Administrator", "name": "Administrator"}
        # Settings other than the form, live and pre-live (preview); deploy copies preview to
        # live. process: process management in GET app/status.json shape (+ "names" of states
        # and actions per language, see process.py); views: {name: view} as GET app/views.json;
        # general: GET app/settings.json members other than name/description/revision.
        self.process = None
        self.preview_process = None
        self.views = {}
        self.preview_views = {}
        self.general = {}
        self.preview_general = {}
        self.names = {}  # localized app names {"en": ..., "zh": ..., "ja": ...} (settings.json lang)
        self.preview_name = None  # pre-live name/description (PUT preview/app/settings.json)
        self.preview_description = None

    # Record storage helpers (callers hold State.lock).
    def add_record(self, record):
        self.records[record.id] = record
        if not self.ids or record.id > self.ids[-1]:
            self.ids.append(record.id)
        else:
            bisect.insort(self.ids, record.id)
        if record.id >= self.next_id:
            self.next_id = record.id + 1
        unique = getattr(self, "_fields_unique", None)  # fields._UniqueIndex, once built
        if unique is not None:
            unique.stored(record.id, record.values)

    def remove_record(self, rid):
        unique = getattr(self, "_fields_unique", None)
        if unique is not None:
            unique.forget(self.records[rid].values)
        del self.records[rid]
        i = bisect.bisect_left(self.ids, rid)
        if i < len(self.ids) and self.ids[i] == rid:
            del self.ids[i]

    def allocate_id(self):
        rid = self.next_id
        self.next_id += 1
        return rid

    def allocate_row_id(self):
        rid = self.next_row_id
        self.next_row_id += 1
        return str(rid)

    def records_ascending(self):
        return [self.records[i] for i in self.ids]


class User:
    def __init__(self, code, password, name, timezone="Asia/Tokyo", admin=False, primary_organization=None,
                 language="auto"):
        self.code = code
        self.password = password
        self.name = name
        self.timezone = timezone
        self.admin = admin
        self.primary_organization = primary_organization
        self.language = language  # "auto" follows Accept-Language; "ja"/"en" fixed


class State:
    """Everything the emulator knows. One lock serialises all reads and writes of data."""

    def __init__(self):
        self.lock = threading.RLock()
        self.users = {}  # code -> User
        self.organizations = {}  # code -> name
        self.groups = {}  # code -> name
        self.members = {}  # ("GROUP" | "ORGANIZATION", code) -> [user codes] (seed "members")
        # id -> {"id": int, "guest": bool, "name": str, ...space.json members from the seed}
        self.spaces = {}
        self.comments = {}  # (app id, record id) -> [comment dicts], oldest first
        self.comment_seq = {}  # (app id, record id) -> last comment id (ids are never reused)
        self.domain_language = "ja"  # the domain's locale: API tokens' language (seed "domain_language")
        self.next_view_id = 1000001
        self.apps = {}  # id -> App
        self.next_app_id = 1
        self.cursors = {}  # id -> cursor object (owned by the cursor handlers)
        self.domain_timezone = "Asia/Tokyo"
        self.basic_auth = None  # (user, password) when the domain's Basic auth layer is on
        self.oauth_tokens = {}  # access token -> {"user": code, "scope": [..]} (seed; never expire)
        self.oauth_clients = {}  # client_id -> oauth.Client (seed "oauth_clients")
        self.fixed_now = None  # aware datetime set by POST /_emulator/clock; None = real time

    def now(self):
        """The emulator's clock (UTC, aware). Every time-dependent rule reads it."""
        if self.fixed_now is not None:
            return self.fixed_now
        return datetime.datetime.now(datetime.timezone.utc)
