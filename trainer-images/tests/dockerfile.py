"""A small Dockerfile parser, enough to check the trainer images without a Docker engine.

It follows the Dockerfile reference (https://docs.docker.com/reference/dockerfile/):
parser directives on the first lines, `#` comments, `\\` line continuations,
instructions case-insensitive, exec form as a JSON array, `ARG`/`ENV`
`${VAR}` substitution for reading values back.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Dict, List, Optional

DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Instruction:
    keyword: str  # upper case
    value: str  # the rest of the (joined) line
    line: int  # where it starts, 1-based
    comments: List[str] = field(default_factory=list)  # comment lines just above it

    def exec_form(self) -> Optional[List[str]]:
        """The JSON-array (exec) form's items, or None for the shell form."""
        text = self.value.strip()
        if not text.startswith("["):
            return None
        items = json.loads(text)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"line {self.line}: {self.keyword} exec form must be a JSON array of strings")
        return items

    def flags(self) -> Dict[str, str]:
        """`--chmod=644 --chown=a:b` style flags at the start of COPY/ADD/RUN."""
        out = {}
        for word in shlex.split(self.value):
            if not word.startswith("--"):
                break
            name, _, value = word[2:].partition("=")
            out[name] = value
        return out

    def arguments(self) -> List[str]:
        """Shell-form words after the flags."""
        words = shlex.split(self.value)
        while words and words[0].startswith("--"):
            words.pop(0)
        return words


@dataclass
class Dockerfile:
    directives: Dict[str, str]
    instructions: List[Instruction]

    def all(self, keyword: str) -> List[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Optional[Instruction]:
        found = self.all(keyword)
        return found[-1] if found else None

    def variables(self) -> Dict[str, str]:
        """ARG defaults and ENV values, in file order (later wins), themselves substituted."""
        values: Dict[str, str] = {}
        for instruction in self.instructions:
            if instruction.keyword == "ARG":
                name, _, default = instruction.value.strip().partition("=")
                if default:
                    values[name.strip()] = substitute(default.strip().strip('"'), values)
            elif instruction.keyword == "ENV":
                for word in shlex.split(instruction.value):
                    name, sep, value = word.partition("=")
                    if sep:
                        values[name] = substitute(value, values)
        return values

    def env(self) -> Dict[str, str]:
        """The ENV variables the image sets, with their values."""
        values = self.variables()
        names = [w.partition("=")[0] for i in self.all("ENV") for w in shlex.split(i.value) if "=" in w]
        return {name: values[name] for name in names}

    def expand(self, text: str) -> str:
        return substitute(text, self.variables())


def substitute(text: str, values: Dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)


def parse(text: str) -> Dockerfile:
    lines = text.splitlines()
    directives: Dict[str, str] = {}
    index = 0
    # Parser directives are only recognised before any comment, blank line or instruction.
    while index < len(lines):
        match = DIRECTIVE.match(lines[index])
        if not match:
            break
        directives[match.group(1).lower()] = match.group(2)
        index += 1

    instructions: List[Instruction] = []
    comments: List[str] = []
    while index < len(lines):
        raw = lines[index]
        start = index + 1
        index += 1
        stripped = raw.strip()
        if not stripped:
            comments = []
            continue
        if stripped.startswith("#"):
            comments.append(stripped.lstrip("#").strip())
            continue
        parts = [raw.rstrip()]
        while parts[-1].endswith("\\") and index < len(lines):
            parts[-1] = parts[-1][:-1]
            following = lines[index].rstrip()
            index += 1
            # Comment lines inside a continuation are dropped; the instruction goes on after them.
            while following.strip().startswith("#") and index < len(lines):
                following = lines[index].rstrip()
                index += 1
            parts.append(following)
        joined = " ".join(p.strip() for p in parts if p.strip())
        keyword, _, value = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), value.strip(), start, comments))
        comments = []
    return Dockerfile(directives, instructions)
