"""A local Rebilly emulator: `PUT` and `GET /organizations/{org}/payout-requests/{id}`.

A real HTTP/1.1 server on 127.0.0.1 (werkzeug, threaded, keep-alive) that answers like
Rebilly's payout-request API, so a test request works with no account and retries can be
shown and tested::

    from connector.emulator import Emulator

    with Emulator() as emu:
        emu.inject("503", count=2)          # the next two requests answer 503
        url = emu.base_url("org-1") + "/payout-requests/po-1"

What it does, and the choices made where the published API is silent:

- Credentials: `REB-APIKEY: <key>` or `Authorization: Bearer <token>`, else 401. With
  `api_keys=None` any non-empty value is accepted; with a collection only those. Keys are
  never logged, echoed or kept: `emu.requests` holds credential headers as `<redacted>`, and
  the presented key and every configured key are masked wherever else they appear.
- The id rule (`^[@~\\-\\.\\w]+$` ASCII, at most 50 characters, not `.`/`..`) applies to the
  organization and the payout request id in the path. A value outside it answers **404**:
  the route with such a segment does not exist (what a router with a requirement does);
  the problem's `detail` names the rule.
- The body is checked against the operation's request schema, read from the shipped
  `rebilly` templates (generated from the API description). Read-only fields (`id`,
  `status`, `allocations`, ...) and unknown fields are ignored, like the real server;
  every problem is listed in `invalidFields: [{field, message}]` (dot notation) with 422.
  Malformed JSON, NaN or a body that is not a JSON object: 400. A declared non-JSON
  content type: 415. Over 1 MiB: 413.
- 201 + `Location` on create, 200 on update; the same PUT repeated keeps one resource
  (createdTime kept, updatedTime renewed). Problems are `application/json` with `type`,
  `title`, `status`, `detail`, `instance` (and the deprecated `error`).
- `X-RateLimit-Limit` / `X-RateLimit-Remaining` on API answers; non-GET requests are limited
  per organization in a sliding window (`rate_limit=(3000, 600)` like the sandbox); over it,
  429 with `X-RateLimit-Retry-After` = UTC epoch seconds when a retry is allowed.
- Faults (`inject`, or `POST /_emulator/faults` with `{"kind", "count", "seconds",
  "retryAfter", "style", "apply"}`): the next N API requests answer 503, answer 429 with a
  retry header (`style`: `epoch` for X-RateLimit-Retry-After, `seconds` or `http-date` for
  Retry-After), are dropped with a TCP reset and no response (`reset`; not applied unless
  `apply=True`), or stall `seconds` (None: until stop) before being handled. `stop()` ends
  every stall at once. Control: `GET|POST|DELETE /_emulator/faults`, `POST /_emulator/reset`
  (forget everything), `GET /_emulator/requests`, `GET /_emulator/operations` (what is
  served). The control routes need no key and are not
  subject to faults or the rate limit.
"""

from __future__ import annotations

from connector.emulator._api import Api, api_from_description, rebilly_api
from connector.emulator._app import EmulatorApp
from connector.emulator._description import DescriptionError, load_description
from connector.emulator._emulation import REBILLY, Emulation, emulation_for, family, serves
from connector.emulator._faults import Fault
from connector.emulator._ids import valid_id
from connector.emulator._records import ReceivedRequest
from connector.emulator._server import Emulator

__all__ = [
    "REBILLY",
    "Api",
    "DescriptionError",
    "Emulation",
    "Emulator",
    "EmulatorApp",
    "Fault",
    "ReceivedRequest",
    "api_from_description",
    "emulation_for",
    "family",
    "load_description",
    "rebilly_api",
    "serves",
    "valid_id",
]
