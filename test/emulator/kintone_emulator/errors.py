"""Kintone error responses: the exception every layer raises and the message catalog.

Every error the emulator returns goes through KintoneError so that the JSON shape
(code, id, message, errors), the HTTP status and the ja/en message text are decided in
one place. Message texts follow ../../shared/kintone-api.md (sections 3.3, 4, 7.7, 8).
Clients must never parse messages; codes and statuses are what matter, but we keep the
observed texts where the contract records them.
"""

import secrets
import string

_ID_ALPHABET = string.ascii_letters + string.digits


def new_request_id():
    """A random ~20 character URL-safe id, as real Kintone puts in every error body."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


# code -> (http status, english message, japanese message). Messages may contain
# str.format placeholders filled from KintoneError(..., args={...}).
CATALOG = {
    "CB_AU01": (401, "Please login.", "ログインしてください。"),
    "CB_WA01": (
        401,
        "Password authentication failed. The value in http header of X-Cybozu-Authorization is not valid.",
        "ユーザーのパスワード認証に失敗しました。「X-Cybozu-Authorization」ヘッダーの値が正しくありません。",
    ),
    "CB_NO02": (403, "No privilege to proceed.", "権限がありません。"),
    "CB_VA01": (400, "Missing or invalid input.", "入力内容が正しくありません。"),
    "CB_IJ01": (400, "Invalid JSON string.", "JSON 文字列が不正です。"),
    "CB_IL02": (400, "Illegal request.", "不正なリクエストです。"),
    "CB_NF01": (404, "The specified API was not found.", "指定したAPIが見つかりません。"),
    "CB_OA01": (
        400,
        "This API cannot be used with OAuth authentication.",
        "このAPIはOAuth認証では使用できません。",
    ),
    "GAIA_IA02": (
        400,
        "The specified API token does not match the API token generated via an app.",
        "指定したAPIトークンは、アプリで生成されたトークンと異なります。トークンの値、およびアプリの設定が更新されていることを確認してください。",
    ),
    "GAIA_NO01": (
        403,
        "Using this API token, you cannot run the specified API.",
        "このAPIトークンでは、指定したAPIを実行できません。",
    ),
    "GAIA_DA03": (
        400,
        "You cannot specify a duplicate API token for the same app.",
        "同じアプリのAPIトークンを重複して指定することはできません。",
    ),
    "GAIA_TA01": (
        400,
        "A maximum of 9 API tokens can be specified in one request.",
        "1回のリクエストで指定できるAPIトークンは9個までです。",
    ),
    "GAIA_AP01": (
        404,
        "The app (ID: {app}) not found. The app may have been deleted.",
        "指定したアプリ（id: {app}）が見つかりません。削除されている可能性があります。",
    ),
    "GAIA_RE01": (
        404,
        "The specified record (ID: {id}) is not found.",
        "指定したレコード（id: {id}）が見つかりません。",
    ),
    "GAIA_CO02": (
        409,
        "The revision is not the latest. Someone may update a record.",
        "指定したrevisionは最新ではありません。ほかのユーザーがレコードを更新した可能性があります。",
    ),
    "GAIA_IL23": (
        400,
        'To operate an app in a guest space, send the request to "/k/guest/(guest space ID)/v1/...".',
        "ゲストスペース内のアプリを操作する場合は、リクエストの送信先を「/k/guest/（ゲストスペースのID）/v1/...」にします。",
    ),
    "GAIA_QU01": (400, "Specify 500 or less for limit.", "limit には 500 以下の値を指定してください。"),
    "GAIA_QU02": (400, "Specify 10,000 or less for offset.", "offset には 10,000 以下の値を指定してください。"),
    "GAIA_IQ03": (
        400,
        "The operator {op} cannot be used for the field type of the {field} field.",
        "{field}フィールドのフィールドタイプには演算子{op}を使用できません。",
    ),
    "GAIA_IQ07": (
        400,
        "The operator {op} cannot be used for the {field} field in a table. Use in or not in instead.",
        "テーブル内の{field}フィールドには演算子{op}を使用できません。「in」または「not in」を使用します。",
    ),
    "GAIA_IQ10": (
        400,
        'The specified value "{value}" is not an option of the {field} field.',
        "{field}フィールドの選択肢に「{value}」はありません。",
    ),
    "GAIA_IQ11": (
        400,
        "The specified field ({field}) not found.",
        "指定されたフィールド（{field}）が見つかりません。",
    ),
    "GAIA_IQ23": (
        400,
        "The specified day ({value}) is invalid. Specify an integer from 1 to 31.",
        "指定した日にち（{value}）は無効です。1から31までの整数で指定します。",
    ),
    "GAIA_IQ25": (
        400,
        "The specified unit ({value}) is invalid for FROM_TODAY.",
        "FROM_TODAY関数に指定した単位（{value}）は無効です。",
    ),
    "GAIA_IL08": (400, "The query is invalid.", "クエリの指定が不正です。"),
    "GAIA_IR02": (
        400,
        "The field ({field}) specified before the period is not a related records field.",
        "ピリオドの前に指定したフィールド（{field}）は関連レコード一覧ではありません。",
    ),
    "GAIA_CN01": (
        404,
        "The specified cursor does not exist or has already expired.",
        "指定したカーソルは存在しないか、既に有効期限が切れています。",
    ),
    "GAIA_TM12": (
        429,
        "The cursor cannot be created because the maximum number of cursors has been reached. "
        "Delete unnecessary cursors or try again later.",
        "作成できるカーソルの上限に達しているため、カーソルを作成できません。不要なカーソルを削除するか、しばらく経ってから再実行してください。",
    ),
    "GAIA_TO04": (
        429,
        "The number of concurrent API requests exceeds the limit.",
        "APIの同時リクエスト数が上限を超えています。",
    ),
    "GAIA_LO04": (
        400,
        "A value {value} in the field {field} does not exist in the datasource app for lookup, "
        "or you do not have permission to view the app or the field.",
        "フィールド「{field}」の値「{value}」が、ルックアップの参照先のフィールドにないか、またはアプリやフィールドの閲覧権限がありません。",
    ),
    "GAIA_BL01": (404, "The specified file (id: {id}) not found.", "指定したファイル（id: {id}）が見つかりません。"),
    "GAIA_FC01": (
        400,
        "The field ({field}) not found.",
        "指定されたフィールド（{field}）が見つかりません。",
    ),
    "GAIA_AR01": (
        400,
        "A field with the field code ({field}) already exists.",
        "フィールドコード（{field}）は既に使用されています。",
    ),
    "GAIA_CO01": (
        409,
        "The app settings revision is not the latest.",
        "指定したrevisionは最新ではありません。アプリの設定が更新された可能性があります。",
    ),
    "GAIA_ST02": (
        400,
        "Your request failed. The process management feature has been disabled.",
        "操作に失敗しました。プロセス管理機能が無効化されています。",
    ),
    # Process management (contract 4.10, 8.2). IL03 texts observed; SA01 ja observed; NT01 ja
    # from the contract; the other texts and the NT01 status are [UNV].
    "GAIA_IL03": (
        400,
        "Failed to update the status. The settings or the status itself may have been changed by someone.",
        "ステータスの変更に失敗しました。ほかのユーザーがステータス、またはステータスの設定を変更した可能性があります。",
    ),
    "GAIA_SA01": (400, "Specify the assignee.", "作業者を指定してください。"),
    "GAIA_NT01": (403, "Only the assignee can change the status.", "作業者のみがステータスを変更できます"),
    "GAIA_BR01": (
        400,
        "The request cannot be processed by the bulk request API.",
        "一括リクエストで処理できないリクエストが含まれています。",
    ),
    "GAIA_RE02": (
        400,
        "The specified comment does not exist. The comment may have been deleted.",
        "指定したコメントが存在しません。削除された可能性があります。",
    ),
}

# Validation messages that go inside "errors": {key: {"messages": [...]}}.
FIELD_MESSAGES = {
    "required": ("Required.", "必須です。"),
    "required_field": ("Required field.", "必須です。"),
    "numbers_only": ("Only numbers are allowed.", "数字でなければなりません。"),
    "unique": ("This value already exists in another record.", "値がほかのレコードと重複しています。"),
    "max_length": ("Enter less than {n} characters.", "{n}文字より短くなければなりません。"),
    "min_length": ("Enter more than {n} characters.", "{n}文字より長くなければなりません。"),
    "max_value": ("The value must be {n} or less.", "{n}以下である必要があります。"),
    "min_value": ("The value must be {n} or more.", "{n}以上である必要があります。"),
    "not_in_options": ('The value, "{value}", is not in options.', "「{value}」は選択肢にありません。"),
    "date_format": ("Enter the date in the format YYYY-MM-DD.", "日付が不正です。"),
    "time_format": ("Enter the time in the format HH:MM.", "時刻が不正です。"),
    "datetime_format": ("Enter the date and time correctly.", "日時が不正です。"),
    "user_not_found": ("The user ({value}) not found.", "ユーザー（{value}）が見つかりません。"),
    "org_not_found": ("The organization ({value}) not found.", "組織（{value}）が見つかりません。"),
    "group_not_found": ("The group ({value}) not found.", "グループ（{value}）が見つかりません。"),
    "file_not_found": ("The file ({value}) not found.", "ファイル（{value}）が見つかりません。"),
    # file.json upload over the size limit (Kintone: 1 GB; the real error is not recorded) [UNV].
    "file_too_large": ("The file must be {n} bytes or smaller.", "ファイルサイズは{n}バイト以下にしてください。"),
    "query_syntax": ("Query syntax is invalid.", "クエリ記法が間違っています。"),
    "records_add_max": (
        "A maximum of 100 records can be added at one time.",
        "一度に100件までのレコードを追加できます。",
    ),
    "records_update_max": (
        "A maximum of 100 records can be updated at one time.",
        "一度に100件までのレコードを更新できます。",
    ),
    "records_delete_range": (
        "Between 1 and 100 records can be deleted at one time.",
        "一度に削除できるレコードは1件から100件までです。",
    ),
    "bulk_max": ("A maximum of 20 requests can be sent at one time.", "一度に20件までのリクエストを送信できます。"),
    "must_be_number": ("Enter an integer value.", "整数でなければなりません。"),
    "min_zero": ("must be greater than or equal to 0", "0以上でなければなりません。"),
    "size_range": ("must be between 1 and 500", "1以上500以下でなければなりません。"),
    "enum": ("must be one of the enum value", "列挙値のいずれかでなければなりません。"),
    "id_and_update_key": (
        "Specify either id or updateKey.",
        "idかupdateKeyのどちらかを指定してください。",
    ),
    "update_key_not_unique": (
        "The field specified in updateKey must be set to prohibit duplicate values.",
        "updateKeyに指定するフィールドは「値の重複を禁止する」が設定されている必要があります。",
    ),
    "assignee_not_candidate": (
        "The user ({value}) cannot be selected as the assignee of this status.",
        "ユーザー（{value}）はこのステータスの作業者に指定できません。",
    ),
    "state_first_assignee": (
        'The first status must have the assignee type "ONE" with no entity or the record creator.',
        "先頭のステータスの作業者は「ONE」で、指定なしまたはレコードの作成者のみ指定できます。",
    ),
    "state_unknown": ("The status ({value}) not found.", "ステータス（{value}）が見つかりません。"),
    "entity_not_found": ("The entity ({value}) not found.", "指定した宛先（{value}）が見つかりません。"),
    # Parameter size limits (apps.json ids/codes/spaceIds <= 100, name <= 64) [UNV texts].
    "max_items": ("Specify up to {n} values.", "{n}件まで指定できます。"),
    "max_chars": ("Enter up to {n} characters.", "{n}文字以内で入力してください。"),
    # fields.py: a value of the wrong JSON shape (e.g. a string for CHECK_BOX) [UNV text].
    "invalid_value": ("Invalid value.", "値が不正です。"),
}


def pick_language(accept_language):
    """'ja' unless the Accept-Language header prefers English (contract 2.3)."""
    if not accept_language:
        return "ja"
    best, best_q = None, -1.0
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower()
        if q <= 0:
            continue  # q=0: "not acceptable" (RFC 9110), never the chosen language
        if tag == "*" or tag.startswith("ja") or tag.startswith("en"):
            if q > best_q:
                best, best_q = tag, q
    if best is not None and best.startswith("en"):
        return "en"
    return "ja"


def field_message(name, lang, **args):
    en, ja = FIELD_MESSAGES[name]
    text = en if lang == "en" else ja
    return text.format(**args) if args else text


class FieldErrors:
    """Collects validation errors as {key: [message names + args]} until rendered.

    Messages are kept symbolic so that the language is chosen when the response is built.
    """

    def __init__(self):
        self.items = {}

    def add(self, key, name, **args):
        self.items.setdefault(key, []).append((name, args))

    def __bool__(self):
        return bool(self.items)

    def render(self, lang):
        return {
            key: {"messages": [field_message(name, lang, **args) for name, args in msgs]}
            for key, msgs in self.items.items()
        }


class KintoneError(Exception):
    """An error response. status defaults to the catalog's; args fill the message.

    errors: a FieldErrors, or a plain {key: [message name, ...]} dict, for CB_VA01.
    extra: additional top-level members of the body (rarely needed).
    """

    def __init__(self, code, status=None, args=None, errors=None, message=None, extra=None):
        super().__init__(code)
        self.code = code
        entry = CATALOG.get(code)
        self.status = status if status is not None else (entry[0] if entry else 400)
        self.args_ = args or {}
        if isinstance(errors, dict):
            fe = FieldErrors()
            for key, names in errors.items():
                for name in names if isinstance(names, (list, tuple)) else [names]:
                    fe.add(key, name)
            errors = fe
        self.errors = errors
        self.message = message  # overrides the catalog (e.g. injected faults)
        self.extra = extra or {}

    def __str__(self):
        return "%s %s" % (self.code, self.body("en")["message"])

    def body(self, lang, request_id=None):
        entry = CATALOG.get(self.code)
        if self.message is not None:
            message = self.message
        elif entry:
            message = (entry[1] if lang == "en" else entry[2]).format(**self.args_)
        else:
            message = self.code
        out = {"code": self.code, "id": request_id or new_request_id(), "message": message}
        if self.errors:
            out["errors"] = self.errors.render(lang)
        out.update(self.extra)
        return out


def validation_error(key, name, **args):
    """Shorthand for a CB_VA01 with one errors entry."""
    fe = FieldErrors()
    fe.add(key, name, **args)
    return KintoneError("CB_VA01", errors=fe)


def query_syntax_error():
    return validation_error("query", "query_syntax")
