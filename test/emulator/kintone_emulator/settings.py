"""Run-time settings of the emulator that are not Kintone data: the latency model, the
domain's concurrency limit, and file limits. Set by command-line flags and changed at run time
through GET/POST /_emulator/config (see ../README.md "Latency model" and "Control API").

The latency model: every Kintone API response is held back for

    latency_ms  +  records * latency_per_record_us  +  records * fields * latency_per_field_us

where `records` is the number of records the response returns (records.json, record.json,
cursor pages) and `fields` the number of fields in each of them (the `fields` list, else every
field of the record). The sleep happens after the request was processed, outside the state
lock, so requests in flight really overlap (a client keeping 10 pages in flight waits about one
delay, not ten). With every figure at 0 (the default) nothing is computed and nothing sleeps.

A sleeping request wakes up when the settings change and re-computes its delay from the new
figures (time already slept counts), so a test can hold requests in flight with a long delay
and release them by setting the delay back to 0.
"""

import threading
import time

# A Kintone-like latency (--latency-model kintone): about 1.1 s for a 500-record page of a
# 20-field app (100 ms + 500 * (400 us + 20 * 80 us)), the figure published for real Kintone
# (20,426 records read page by page in about 45 s: 41 pages, ~1.1 s each); ~100 ms for a call
# that returns no record. How the time splits between records and fields is not measured
# (contract: [UNV]); fewer fields and smaller pages are cheaper, as on real Kintone.
KINTONE_MODEL = {"latency_ms": 100.0, "latency_per_record_us": 400.0, "latency_per_field_us": 80.0}

CONCURRENCY_LIMIT = 100  # Kintone: 100 requests in flight per domain (contract 5)
MAX_FILE_SIZE = 1 << 30  # 1 GB per file (contract 4.11)
UPLOAD_TTL_S = 3 * 24 * 3600  # unattached uploads are deleted after 3 days (contract 4.11)

# name -> (type, minimum)
_SPEC = {
    "latency_ms": (float, 0),
    "latency_per_record_us": (float, 0),
    "latency_per_field_us": (float, 0),
    "concurrency_limit": (int, 1),
    "max_file_size": (int, 0),
    "upload_ttl_s": (float, 0),
}


class Settings:
    def __init__(self, **values):
        self.cond = threading.Condition()
        self.latency_ms = 0.0
        self.latency_per_record_us = 0.0
        self.latency_per_field_us = 0.0
        self.concurrency_limit = CONCURRENCY_LIMIT
        self.max_file_size = MAX_FILE_SIZE
        self.upload_ttl_s = float(UPLOAD_TTL_S)
        self.active = False
        self.update(values)

    def update(self, doc):
        """Apply {name: value} (only the names of _SPEC; "latency_model": "kintone" | "off"
        sets the three latency figures first). Raises ValueError, changing nothing, on a bad
        name or value. Wakes every sleeping request so it re-computes its delay."""
        if not isinstance(doc, dict):
            raise ValueError("the body must be a JSON object")
        new = {}
        model = doc.get("latency_model")
        if model is not None:
            if model == "kintone":
                new.update(KINTONE_MODEL)
            elif model == "off":
                new.update({k: 0.0 for k in KINTONE_MODEL})
            else:
                raise ValueError('"latency_model" must be "kintone" or "off"')
        for name, value in doc.items():
            if name == "latency_model":
                continue
            if name not in _SPEC:
                raise ValueError("unknown setting %r (known: %s)" % (name, ", ".join(sorted(_SPEC))))
            kind, minimum = _SPEC[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError("%s must be a number" % name)
            if kind is int and value != int(value):
                raise ValueError("%s must be an integer" % name)
            if value < minimum:
                raise ValueError("%s must be >= %s" % (name, minimum))
            new[name] = kind(value)
        with self.cond:
            for name, value in new.items():
                setattr(self, name, value)
            self.active = bool(self.latency_ms or self.latency_per_record_us or self.latency_per_field_us)
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return {name: getattr(self, name) for name in _SPEC}

    def delay(self, records, fields):
        """Seconds a response with `records` records of `fields` fields each is held back."""
        return (self.latency_ms / 1e3 + records * self.latency_per_record_us / 1e6
                + records * fields * self.latency_per_field_us / 1e6)

    def wait(self, started, records, fields):
        """Sleep until started + delay(records, fields) (time.monotonic() clock). Wakes on every
        settings change and re-computes the delay from the new figures. Returns the delay
        first computed (the modelled server time, for the stats)."""
        with self.cond:
            modelled = self.delay(records, fields)
            while True:
                remaining = started + self.delay(records, fields) - time.monotonic()
                if remaining <= 0:
                    return modelled
                self.cond.wait(remaining)
