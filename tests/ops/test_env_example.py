"""`.env.example` lists every variable the settings read, and nothing they don't."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _read_by_settings() -> set[str]:
    source = (ROOT / "arena" / "settings.py").read_text()
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', source))
    providers = re.search(r"for name in \(([^)]*)\)\n\}", source)
    assert providers, "the OAuth providers loop moved: update this test"
    for provider in re.findall(r'"(\w+)"', providers.group(1)):
        names |= {f"OAUTH_{provider.upper()}_CLIENT_ID", f"OAUTH_{provider.upper()}_CLIENT_SECRET"}
    return names


def test_env_example_lists_every_setting():
    listed = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = _read_by_settings()
    assert len(read) > 80
    assert sorted(read - listed) == [], "missing from .env.example"
    assert sorted(listed - read) == [], "listed in .env.example but never read"
