"""The README's examples, run: every `console` block's `$ curl ...` against the gateway over the
real data (real catalog and recsys processes, the real model), its answer compared with the
text shown under it.

The shown answer is JSON in which `...` stands for "and more": further items at the end of a
list, further fields of an object. So an answer that depends on the model shows only what is
stable about it (the franchise's next film first), and a long record only the fields worth
showing; everything shown must be exactly what the gateway answers.
"""

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow
README = Path(__file__).resolve().parents[2] / "README.md"
MORE = "..."


@dataclass(frozen=True)
class Example:
    line: int  # where the command starts in the README, for the failure message
    command: str
    shown: str


def examples(text: str) -> list[Example]:
    """Each `$ ` command of the README's console blocks with the lines shown under it."""
    found: list[Example] = []
    in_block, command, start = False, "", 0
    shown: list[str] = []

    def close() -> None:
        if command:
            found.append(Example(start, command, "\n".join(shown).strip()))

    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if in_block:
                close()
                command, shown = "", []
            in_block = line.strip() == "```console"
        elif in_block and line.startswith("$ "):
            close()
            command, start, shown = line[2:], number, []
        elif in_block and command.endswith("\\") and not shown:
            command = command[:-1] + " " + line.strip()
        elif in_block:
            shown.append(line)
    return found


def as_pattern(shown: str) -> Any:
    """The shown answer as JSON, each `...` a MORE marker (a list item, or a key in an object)."""
    out: list[str] = []
    stack: list[str] = []
    in_string, i = False, 0
    while i < len(shown):
        ch = shown[i]
        if in_string and ch == "\n":
            # A string wrapped in the README: the break and the next line's indent are a space.
            out.append(" ")
            while i + 1 < len(shown) and shown[i + 1] == " ":
                i += 1
        elif in_string:
            out.append(ch)
            if ch == "\\":
                out.append(shown[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif shown.startswith(MORE, i):
            out.append(f'"{MORE}": null' if stack and stack[-1] == "{" else f'"{MORE}"')
            i += len(MORE) - 1
        else:
            out.append(ch)
            in_string = ch == '"'
            if ch in "[{":
                stack.append(ch)
            elif ch in "]}":
                stack.pop()
        i += 1
    return json.loads("".join(out))


def matches(pattern: Any, answer: Any) -> bool:
    """Whether `answer` is `pattern`, where MORE allows further list items or object fields."""
    if isinstance(pattern, dict):
        if not isinstance(answer, dict):
            return False
        keys = set(pattern) - {MORE}
        if not keys <= set(answer) or (MORE not in pattern and keys != set(answer)):
            return False
        return all(matches(pattern[key], answer[key]) for key in keys)
    if isinstance(pattern, list):
        if not isinstance(answer, list):
            return False
        if pattern and pattern[-1] == MORE:
            pattern = pattern[:-1]
            if len(answer) < len(pattern):
                return False
            answer = answer[:len(pattern)]
        return len(pattern) == len(answer) and all(map(matches, pattern, answer))
    return bool(pattern == answer and type(pattern) is type(answer))


def request_of(command: str) -> tuple[str, str, dict[str, str], str | None]:
    """(method, path and query, headers, body) of a README `curl` command."""
    words = shlex.split(command, comments=True)
    assert words[0] == "curl", command
    method, headers, body, url = "GET", {}, None, ""
    rest = iter(words[1:])
    for word in rest:
        if word == "-X":
            method = next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            body = next(rest)
            method = "POST" if method == "GET" else method
        else:
            url = word
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return method, parts.path + (f"?{parts.query}" if parts.query else ""), headers, body


def test_the_readme_reader_finds_commands_and_their_answers() -> None:
    text = ("intro\n```console\n$ curl 'localhost:8000/a?x=1'   # why\n[1,\n 2]\n"
            "$ curl -X POST localhost:8000/b -H 'content-type: application/json' \\\n"
            "    -d '{\"n\": 2}'\n{\"a\":1,...}\n```\n```bash\n$ make up\n```\n")
    found = examples(text)
    assert [(e.line, e.shown) for e in found] == [(3, "[1,\n 2]"), (6, '{"a":1,...}')]
    assert request_of(found[0].command) == ("GET", "/a?x=1", {}, None)
    assert request_of(found[1].command) == (
        "POST", "/b", {"content-type": "application/json"}, '{"n": 2}')
    pattern = as_pattern('{"items":[{"t":"a ... b",...},...],...}')
    assert matches(pattern, {"items": [{"t": "a ... b", "s": 1}, {"t": "c"}], "x": 0})
    assert not matches(pattern, {"items": [{"t": "other"}]})
    assert not matches(as_pattern("[1,2]"), [1, 2, 3])
    assert not matches(as_pattern("[1,...]"), [2, 1])
    assert not matches(as_pattern('{"a":1}'), {"a": 1, "b": 2})
    assert not matches(as_pattern("1"), 1.0)
    assert as_pattern('["a wrapped\n   sentence"]') == ["a wrapped sentence"]


async def test_every_readme_example_answers_what_the_readme_shows(gateway, catalog_real,
                                                                  recsys_trained) -> None:
    found = examples(README.read_text(encoding="utf-8"))
    assert len(found) >= 10, "the README's console examples were not found"
    wrong = []
    async with gateway(catalog=catalog_real, recsys=recsys_trained) as client:
        for example in found:
            method, target, headers, body = request_of(example.command)
            response = await client.request(method, target, headers=headers, content=body)
            if not matches(as_pattern(example.shown), response.json()):
                shown = re.sub(r"\s+", " ", example.shown)
                wrong.append(f"README.md:{example.line}: {example.command}\n  shows   {shown}"
                             f"\n  answers {response.text}")
    assert not wrong, "\n".join(wrong)
