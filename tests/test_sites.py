"""Widget sites and budgets, on hand-made cases; and `paracite sites` through the real command."""

import json
import os
import subprocess
import sys

import pytest

from assistant.sites import RateLimits, Site, load_sites, normalise_origin, save_site
from vectorstore.errors import InputError


@pytest.mark.parametrize(("given", "origin"), [
    ("https://Example.org", "https://example.org"),
    ("https://example.org:443", "https://example.org"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("http://localhost:80/page?x=1", "http://localhost"),
])
def test_origins_are_compared_as_browsers_send_them(given, origin):
    assert normalise_origin(given) == origin


@pytest.mark.parametrize("bad", ["example.org", "ftp://example.org", "https://", "javascript:alert(1)"])
def test_what_is_not_an_origin_is_refused(bad):
    with pytest.raises(InputError, match="is not an origin"):
        normalise_origin(bad)


def test_sites_round_trip_through_the_file(tmp_path):
    path = tmp_path / "sites.toml"
    assert load_sites(path) == {}
    save_site(path, Site("blog", ("https://Example.org/", "http://localhost:3000"), "10/minute"))
    save_site(path, Site("docs", ("https://docs.example.org",)))
    sites = load_sites(path)
    assert sites["blog"] == Site("blog", ("https://example.org", "http://localhost:3000"), "10/minute")
    assert sites["blog"].allows("https://example.org") and not sites["blog"].allows("https://docs.example.org")
    assert sites["docs"].rate is None


@pytest.mark.parametrize(("text", "message"), [
    ("[sites.a\n", "not valid TOML"),
    ('[sites."bad key!"]\norigins = []\n', "not a usable site"),
    ("[sites.a]\norigins = 'https://example.org'\n", "origins must be a list"),
    ("[sites.a]\norigins = ['https://example.org']\nrate = 'often'\n", "is not a rate"),
    ("[sites.a]\norigins = ['example.org']\n", "is not an origin"),
])
def test_a_broken_sites_file_says_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_sites(path)


def test_budgets_per_ip_and_per_site():
    limits = RateLimits("3/minute", "2/minute")
    site = Site("blog", ("https://example.org",))
    assert [limits.hit("1.1.1.1", site) for _ in range(2)] == [None, None]
    wait = limits.hit("1.1.1.1", site)  # the site's budget is spent first
    assert wait is not None and 1 <= wait <= 60
    assert limits.hit("2.2.2.2", None) is None  # another IP, no site: its own budget
    # The refused question cost the IP nothing: it has one of its 3 left, then none.
    assert limits.hit("1.1.1.1", None) is None
    assert limits.hit("1.1.1.1", None) is not None
    own = Site("big", ("https://example.org",), "100/minute")
    assert all(limits.hit(f"10.0.0.{i}", own) is None for i in range(5))


def test_the_sites_command(tmp_path):
    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path))
    paracite = [sys.executable, "-m", "assistant", "sites"]
    added = subprocess.run([*paracite, "add", "blog", "--origin", "https://example.org"], env=env,
                           capture_output=True, text=True)
    assert added.returncode == 0 and (tmp_path / "sites.toml").exists()
    listed = subprocess.run([*paracite, "list", "--json"], env=env, capture_output=True, text=True)
    assert json.loads(listed.stdout) == [{"key": "blog", "origins": ["https://example.org"], "rate": None}]
    bad = subprocess.run([*paracite, "add", "blog", "--origin", "example.org"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "is not an origin" in bad.stderr and "Traceback" not in bad.stderr
