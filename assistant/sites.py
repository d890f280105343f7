"""Widget sites and request budgets: who may call the API from a browser, and how often.

A site is a key that a site owner puts in the embed code (it is not a secret: anyone can read
it off the page) and the list of origins whose pages may use it. The key only names the site;
what protects it is the origin check, which browsers enforce, and the rate limits. Deny by
default: a browser request from an origin no site lists is refused, and so is a cross-origin
request without a key or with a key whose list does not hold its origin.

Sites live in a small TOML file (DATA_DIR/sites.toml unless PARACITE_SITES_FILE says otherwise):

    [sites.my-site]
    origins = ["https://example.org", "https://www.example.org"]
    rate = "120/minute"          # optional; PARACITE_RATE_LIMIT_SITE otherwise

Rate limits use the `limits` package's moving window, in memory (one process, one budget) or, with
PARACITE_REDIS_URL, in Redis, where every replica behind a proxy spends the same budget.
"""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import tomli_w
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from vectorstore.errors import InputError, StoreError

SITE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Site:
    key: str
    origins: tuple[str, ...]
    rate: str | None = None

    def allows(self, origin: str) -> bool:
        return normalise_origin(origin) in self.origins


def normalise_origin(origin: str) -> str:
    """scheme://host[:port] in lower case, the default port left out, as browsers send it."""
    try:
        parts = urlsplit(origin.strip())
        port_number = parts.port  # raises on a port that is not a number
    except ValueError:
        raise InputError(f"{origin!r} is not an origin (like https://example.org)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{origin!r} is not an origin (like https://example.org)")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{port_number}" if port_number and port_number != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def load_sites(path: Path) -> dict[str, Site]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    sites = {}
    for key, entry in (data.get("sites") or {}).items():
        if not SITE_KEY.match(key) or not isinstance(entry, dict):
            raise InputError(f"{path}: [sites.{key}] is not a usable site (keys: letters, digits, - _ .)")
        origins = entry.get("origins") or []
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise InputError(f"{path}: [sites.{key}] origins must be a list of strings")
        rate = entry.get("rate")
        if rate is not None:
            _parse_rate(rate, f"{path}: [sites.{key}] rate")
        sites[key] = Site(key, tuple(normalise_origin(o) for o in origins), rate)
    return sites


def save_site(path: Path, site: Site) -> None:
    """Add or replace one site in the file; the file is replaced whole, never half-written."""
    if not SITE_KEY.match(site.key):
        raise InputError(f"{site.key!r} is not a usable site key (letters, digits, - _ .; at most 64)")
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = {"origins": [normalise_origin(o) for o in site.origins]}
    if site.rate:
        _parse_rate(site.rate, "rate")
        entry["rate"] = site.rate
    data.setdefault("sites", {})[site.key] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".toml.partial")
    partial.write_text(tomli_w.dumps(data), encoding="utf-8")
    partial.replace(path)


def _parse_rate(rate: str, where: str) -> RateLimitItem:
    try:
        return parse(rate)
    except ValueError:
        raise InputError(f"{where}: {rate!r} is not a rate like '30/minute'") from None


def without_password(url: str) -> str:
    """A server URL as it may be shown in a message: without its user and password."""
    return re.sub(r"//[^@/]*@", "//", url)


def budget_storage(url: str | None) -> Storage:
    """Where the budgets are counted: this process's memory, or the Redis server at `url`
    (checked now, so that a wrong URL stops the server at start, not at the first question)."""
    if not url:
        return MemoryStorage()
    where = without_password(url)
    try:
        storage = storage_from_string(url)
        reachable = storage.check()
    except Exception as exc:  # noqa: BLE001 (the driver's errors vary: a bad URL, a refused connection)
        raise StoreError(f"cannot use Redis at {where} for the answer budgets: {exc}") from None
    if not reachable:
        raise StoreError(f"cannot reach Redis at {where} for the answer budgets (PARACITE_REDIS_URL)")
    return storage


class RateLimits:
    """Per-IP and per-site budgets; `hit` answers the seconds to wait when one is spent."""

    def __init__(self, per_ip: str, per_site: str, storage_url: str | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(budget_storage(storage_url))
        self._per_ip = _parse_rate(per_ip, "PARACITE_RATE_LIMIT_IP")
        self._per_site = _parse_rate(per_site, "PARACITE_RATE_LIMIT_SITE")

    def hit(self, ip: str, site: Site | None) -> float | None:
        budgets = [(self._per_ip, "ip", ip)]
        if site is not None:
            budgets.append((_parse_rate(site.rate, "rate") if site.rate else self._per_site, "site", site.key))
        # Every budget is checked before any is spent: a question one budget refuses costs the
        # others nothing (a site's spent budget must not also drain its visitors' IP budgets).
        for item, kind, who in budgets:
            if not self._limiter.test(item, kind, who):
                return self._wait(item, kind, who)
        for item, kind, who in budgets:
            if not self._limiter.hit(item, kind, who):  # spent between test and hit by another request
                return self._wait(item, kind, who)
        return None

    def _wait(self, item: RateLimitItem, kind: str, who: str) -> float:
        reset = self._limiter.get_window_stats(item, kind, who).reset_time
        return max(1.0, reset - time.time())
