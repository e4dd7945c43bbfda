"""A small Dockerfile reader for the replay in image_run.py: instructions
with their continuation lines joined, grouped by stage. Arguments of the
exec (JSON) form come back as a list, of the shell form as shell words."""

import json
import shlex

from common import fail


class Stage:
    def __init__(self, base, name):
        self.base, self.name, self.steps = base, name, []

    def all(self, instruction):
        return [args for ins, args in self.steps if ins == instruction]

    def last(self, instruction):
        found = self.all(instruction)
        return found[-1] if found else None


def words(rest):
    rest = rest.strip()
    if rest.startswith("["):
        try:
            return json.loads(rest)
        except ValueError:
            fail(f"Dockerfile: not valid JSON: {rest}")
    return shlex.split(rest, comments=False)


def parse_dockerfile(path):
    logical, current = [], ""
    for raw in open(path):
        line = raw.rstrip("\n")
        if line.lstrip().startswith("#") and not current:
            continue
        if line.lstrip().startswith("#"):
            continue  # comment lines inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(current.strip())
        current = ""
    stages = []
    for line in logical:
        ins, _, rest = line.partition(" ")
        ins = ins.upper()
        if ins == "FROM":
            w = rest.split()
            stages.append(Stage(w[0], w[2] if len(w) == 3 and w[1].upper() == "AS" else None))
            continue
        if not stages:
            if ins == "ARG":
                continue
            fail(f"Dockerfile: {ins} before the first FROM")
        if ins == "HEALTHCHECK":
            # Options first, then CMD and its arguments.
            opts, _, cmd = rest.partition("CMD")
            stages[-1].steps.append((ins, words(cmd)))
            continue
        if ins in ("ENV", "LABEL"):
            stages[-1].steps.append((ins, shlex.split(rest)))
            continue
        stages[-1].steps.append((ins, words(rest)))
    return stages
