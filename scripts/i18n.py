#!/usr/bin/env python3
"""Refresh the Simplified Chinese catalog: makemessages, fill from locale/fragments/*.po, compile.

Run from the checkout with the venv's python (needs Debian's gettext):
    DEBUG=1 .venv/bin/python scripts/i18n.py
Prints the msgids that are still untranslated.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(
    r'(?P<ctx>msgctxt\s+(?:"(?:[^"\\]|\\.)*"\s*)+)?'
    r'msgid\s+(?P<id>(?:"(?:[^"\\]|\\.)*"\s*)+)'
    r'(?:msgid_plural\s+(?P<plural>(?:"(?:[^"\\]|\\.)*"\s*)+))?'
    r'(?P<strs>(?:msgstr(?:\[\d\])?\s+(?:"(?:[^"\\]|\\.)*"\s*)+)+)'
)
STR = re.compile(r"msgstr(?:\[(\d)\])?\s+((?:\"(?:[^\"\\]|\\.)*\"\s*)+)")


def unquote(block: str) -> str:
    return "".join(ast.literal_eval(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', block))


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def fragments() -> dict[str, str]:
    found: dict[str, str] = {}
    # lead.po first: where two fragments translate one msgid differently, it decides.
    paths = sorted((ROOT / "locale" / "fragments").glob("*.po"), key=lambda p: p.stem != "lead")
    for path in paths:
        for m in ENTRY.finditer(path.read_text(encoding="utf-8")):
            msgid = unquote(m["id"])
            strs = STR.findall(m["strs"])
            value = unquote(strs[0][1]) if strs else ""
            if msgid and value:
                found.setdefault(msgid, value)
    return found


def main() -> None:
    # The fragments are the source of truth: start from an empty catalog, so msgmerge has
    # nothing to fuzzy-match against.
    CATALOG.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--ignore=.venv/*", "--ignore=var/*", "--ignore=static/vendor/*", "--ignore=tests/*",
         "--ignore=bench/*", "--ignore=fixtures/*"],
        cwd=ROOT, check=True,
    )
    known = fragments()
    text = CATALOG.read_text(encoding="utf-8")
    missing: list[str] = []

    def fill(m: re.Match) -> str:
        msgid = unquote(m["id"])
        strs = STR.findall(m["strs"])
        if not msgid or any(unquote(s) for _, s in strs):
            return m.group(0)
        value = known.get(msgid)
        if value is None:
            missing.append(msgid)
            return m.group(0)
        head = m.group(0)[: m.start("strs") - m.start()]
        if m["plural"]:
            return head + f"msgstr[0] {quote(value)}\n\n"
        return head + f"msgstr {quote(value)}\n\n"

    text = ENTRY.sub(fill, text)
    header = text[: text.index('msgid ""')]
    text = text.replace(header, "# Simplified Chinese catalog of the city map portal.\n", 1)
    text = text.replace("#, fuzzy\n", "", 1)  # the header's
    text = text.replace(
        '"Project-Id-Version: PACKAGE VERSION\\n"', '"Project-Id-Version: portal\\n"'
    )
    text = text.replace('"Language: \\n"', '"Language: zh_Hans\\n"')
    CATALOG.write_text(text, encoding="utf-8")
    subprocess.run(
        [sys.executable, "manage.py", "compilemessages", "-l", "zh_Hans", "--ignore=.venv/*"],
        cwd=ROOT, check=True,
    )
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(missing)} untranslated")


if __name__ == "__main__":
    main()
