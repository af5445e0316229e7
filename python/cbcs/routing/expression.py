"""Target expressions of the router: parse `agent.skills.returns >= 2 and ...` once, test fast."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

Record = Mapping[str, object]
Reader = Callable[[Record, Record], object]
Test = Callable[[Record, Record], bool]

MAX_LENGTH = 2000
MAX_DEPTH = 50

# What each field holds decides what may follow it: only a map can be indexed.
_AGENT_FIELDS: Mapping[str, str] = MappingProxyType({
    "id": "string", "name": "string", "kind": "string", "languages": "map",
    "skills": "map", "markets": "list", "time_zone": "string", "channels": "list"})
_TASK_FIELDS: Mapping[str, str] = MappingProxyType({
    "id": "string", "language": "string", "market": "string", "channel": "string",
    "priority": "number", "tier": "string", "skill": "string", "queue": "string",
    "customer": "string", "intent": "string", "sentiment": "number", "wait_s": "number"})
_SCHEMA = {"agent": _AGENT_FIELDS, "task": _TASK_FIELDS}

_ORDER: Mapping[str, Callable[[Any, Any], object]] = MappingProxyType({
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge})
_COLLECTIONS = (list, tuple, set, frozenset, Mapping)  # a string is not one: 'e' in 'es' is false
_NO_ENTRIES: Mapping[str, object] = MappingProxyType({})
_VARIES = object()  # marks an operand whose value depends on the agent or the task
_BLANKS = str.maketrans("\t\r\n", "   ")


class ExpressionError(ValueError):
    """A target that does not compile: where (``position``) and what was ``expected``."""

    def __init__(self, message: str, expression: str, position: int, expected: str) -> None:
        super().__init__(f"target: {message}\n{_pointer(expression, position)}")
        self.expression = expression
        self.position = position
        self.expected = expected


class ExpressionSyntaxError(ExpressionError):
    """The text is not an expression: a bad character, a missing value, too long or deep."""


class UnknownAttributeError(ExpressionError):
    """A path names a field that agents or tasks do not have, or indexes one that is no map."""


def _pointer(source: str, position: int) -> str:
    # A window keeps the caret readable in a 2,000-character target.
    start = max(0, position - 50)
    lead = "..." if start else ""
    excerpt = source[start:start + 80].translate(_BLANKS)
    return f"  {lead}{excerpt}\n  {' ' * (len(lead) + position - start)}^"


@dataclass(frozen=True)
class Target:
    """A compiled target: which agents may take which tasks.

    ``agent_fields`` and ``task_fields`` are the top-level fields the expression reads; the
    router groups waiting tasks by ``task_fields`` so it tests each group once.
    """

    source: str
    agent_fields: frozenset[str]
    task_fields: frozenset[str]
    _test: Test = field(repr=False, compare=False)

    def matches(self, agent: Record, task: Record) -> bool:
        """Whether ``agent`` may take ``task``; absent or odd attributes are false, never raise."""
        return self._test(agent, task)

    def __and__(self, other: Target) -> Target:
        """Both targets at once, as a workflow step narrows its queue's target."""
        if not isinstance(other, Target):
            return NotImplemented
        if other._test is _always:
            return self
        if self._test is _always:
            return other
        first, second = self._test, other._test

        def both(agent: Record, task: Record) -> bool:
            return first(agent, task) and second(agent, task)

        return Target(f"({self.source}) and ({other.source})",
                      self.agent_fields | other.agent_fields,
                      self.task_fields | other.task_fields, both)


def _always(agent: Record, task: Record) -> bool:
    return True


def _never(agent: Record, task: Record) -> bool:
    return False


ANY = Target("true", frozenset(), frozenset(), _always)


def compile_target(source: str) -> Target:
    """Parse and check ``source`` against the agent and task fields; blank matches every pair.

    Raises :class:`ExpressionSyntaxError` or :class:`UnknownAttributeError`, never anything
    else for any string.
    """
    if not isinstance(source, str):
        raise TypeError(f"target: expected a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionSyntaxError(
            f"expected at most {MAX_LENGTH} characters at position {MAX_LENGTH}, "
            f"got {len(source)}", source, MAX_LENGTH, f"at most {MAX_LENGTH} characters")
    if not source.strip(" \t\r\n"):
        return ANY
    parser = _Parser(source)
    result = parser.parse()
    if result.constant is _VARIES:
        test = _truth(result)
    else:
        test = _always if result.constant else _never
    return Target(source, frozenset(parser.fields["agent"]), frozenset(parser.fields["task"]),
                  test)


# -- tokens -----------------------------------------------------------------------------

class _Token(NamedTuple):
    kind: str  # "number", "string", "name", "op" or "end"
    text: str
    position: int
    value: object = None


_LEXEME = re.compile(r"""
      (?P<space>[ \t\r\n]+)
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>==|!=|<=|>=|[<>()\[\],.])
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<quote>['"])
""", re.VERBOSE | re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _LEXEME.match(source, position)
        kind, text = (match.lastgroup or "", match.group()) if match else ("", source[position])
        if kind == "quote":
            raise ExpressionSyntaxError(
                f"expected a closing {text} for the string at position {position}", source,
                position, f"a closing {text}")
        if not kind:
            raise ExpressionSyntaxError(f"unexpected character {text!r} at position {position}",
                                        source, position, "a value or an operator")
        if kind == "string":
            for escape in _ESCAPE.finditer(text, 1, len(text) - 1):
                if escape.group(1) not in "\\'\"":
                    at = position + escape.start()
                    raise ExpressionSyntaxError(
                        f"expected \\\\, \\' or \\\" after a backslash at position {at}",
                        source, at, "\\\\, \\' or \\\"")
            tokens.append(_Token(kind, text, position, _ESCAPE.sub(r"\1", text[1:-1])))
        elif kind == "number":
            tokens.append(_Token(kind, text, position, float(text) if "." in text else int(text)))
        elif kind != "space":
            tokens.append(_Token(kind, text, position))
        position += len(text)
    tokens.append(_Token("end", "", len(source)))
    return tokens


# -- operands: closures over (agent, task) ------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Operand:
    read: Reader
    constant: object = _VARIES  # the value, when it is the same for every agent and task
    boolean: bool = False       # read returns a bool already, so logic need not wrap it


def _constant(value: object) -> _Operand:
    def fixed(agent: Record, task: Record) -> object:
        return value
    return _Operand(fixed, value, isinstance(value, bool))


def _combine(read: Reader, parts: Sequence[_Operand], boolean: bool = True) -> _Operand:
    # Folding constants here keeps `1 == 1` or ['es', 'pt'] out of every evaluation.
    if all(part.constant is not _VARIES for part in parts):
        value = read(_NO_ENTRIES, _NO_ENTRIES)
        return _Operand(_constant(value).read, value, boolean)
    return _Operand(read, boolean=boolean)


def _truth(operand: _Operand) -> Test:
    if operand.boolean:
        return operand.read  # type: ignore[return-value]  # boolean says it returns a bool
    read = operand.read

    def truth(agent: Record, task: Record) -> bool:
        return bool(read(agent, task))
    return truth


def _chain(parts: Sequence[_Operand], decisive: bool) -> _Operand:
    # decisive is the result that ends the chain early: False for "and", True for "or".
    tests = tuple(_truth(part) for part in parts)

    def chain(agent: Record, task: Record) -> bool:
        for test in tests:
            if test(agent, task) is decisive:
                return decisive
        return not decisive
    return _combine(chain, parts)


def _negation(operand: _Operand) -> _Operand:
    test = _truth(operand)

    def negation(agent: Record, task: Record) -> bool:
        return not test(agent, task)
    return _combine(negation, (operand,))


def _comparison(symbol: str, left: _Operand, right: _Operand) -> _Operand:
    test, read_left, read_right = _ORDER[symbol], left.read, right.read
    if right.constant is not _VARIES:
        value = right.constant

        def against(agent: Record, task: Record) -> object:
            found = read_left(agent, task)
            if found is None:  # an absent field compares false whatever the operator, as in SQL
                return False
            try:
                return test(found, value)
            except TypeError:  # 'es' < 3: incomparable is false, never an error
                return False
        return _combine(against, (left, right))

    def between(agent: Record, task: Record) -> object:
        first, second = read_left(agent, task), read_right(agent, task)
        if first is None or second is None:
            return False
        try:
            return test(first, second)
        except TypeError:
            return False
    return _combine(between, (left, right))


def _member(item: object, container: object) -> bool | None:
    """``item in container``, or None where there is no answer (absent, not a collection)."""
    if item is None or not isinstance(container, _COLLECTIONS):
        return None
    try:
        return item in container
    except TypeError:  # an unhashable item asked of a set or a map
        return None


def _membership(item: _Operand, container: _Operand, negate: bool) -> _Operand:
    read_item, read_container, wanted = item.read, container.read, not negate

    def member(agent: Record, task: Record) -> bool:
        return _member(read_item(agent, task), read_container(agent, task)) is wanted
    return _combine(member, (item, container))


def _listing(parts: Sequence[_Operand]) -> _Operand:
    reads = tuple(part.read for part in parts)

    def listing(agent: Record, task: Record) -> object:
        return [read(agent, task) for read in reads]
    return _combine(listing, parts, boolean=False)


def _field_reader(root: str, name: str, shape: str) -> Reader:
    default = _NO_ENTRIES if shape == "map" else None
    if root == "agent":
        def from_agent(agent: Record, task: Record) -> object:
            return agent.get(name, default)
        return from_agent

    def from_task(agent: Record, task: Record) -> object:
        return task.get(name, default)
    return from_task


def _entry(entries: object, key: object) -> object:
    if not isinstance(entries, Mapping):
        return 0
    try:
        return entries.get(key, 0)  # a missing skill or language is level 0
    except TypeError:
        return 0


def _entry_reader(read_map: Reader, key: _Operand) -> Reader:
    if key.constant is not _VARIES:
        fixed = key.constant

        def entry(agent: Record, task: Record) -> object:
            entries = read_map(agent, task)
            if type(entries) is dict:  # the usual case, kept to one lookup
                return entries.get(fixed, 0)
            return _entry(entries, fixed)
        return entry
    read_key = key.read

    def looked_up(agent: Record, task: Record) -> object:
        return _entry(read_map(agent, task), read_key(agent, task))
    return looked_up


# -- parser -------------------------------------------------------------------------------

class _Parser:
    """Recursive descent over the tokens; MAX_DEPTH bounds the recursion well below Python's."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0
        self.fields: dict[str, set[str]] = {"agent": set(), "task": set()}

    def parse(self) -> _Operand:
        result = self._or()
        if self._peek().kind != "end":
            raise self._fail("end of expression")
        return result

    def _peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def _take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def _at(self, kind: str, text: str, ahead: int = 0) -> bool:
        token = self._peek(ahead)
        return token.kind == kind and token.text == text

    def _expect(self, text: str, expected: str) -> None:
        if not self._at("op", text):
            raise self._fail(expected)
        self._take()

    def _fail(self, expected: str, after: bool = False) -> ExpressionSyntaxError:
        token, suffix = self._peek(), ""
        if after and self.index > 0:
            last = self.tokens[self.index - 1]
            shown = f"'{last.text}'" if last.kind in ("name", "op") else last.text[:20]
            suffix = f" after {shown}"
        return ExpressionSyntaxError(f"expected {expected}{suffix} at position {token.position}",
                                     self.source, token.position, expected)

    def _enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionSyntaxError(
                f"expected at most {MAX_DEPTH} nested levels at position {token.position}",
                self.source, token.position, f"at most {MAX_DEPTH} nested levels")

    def _or(self) -> _Operand:
        return self._chain("or", self._and, True)

    def _and(self) -> _Operand:
        return self._chain("and", self._not, False)

    def _chain(self, word: str, operand: Callable[[], _Operand], decisive: bool) -> _Operand:
        parts = [operand()]
        while self._at("name", word):
            self._take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else _chain(parts, decisive)

    def _not(self) -> _Operand:
        if not self._at("name", "not"):
            return self._compare()
        self._enter(self._take())
        inner = self._not()
        self.depth -= 1
        return _negation(inner)

    def _compare(self) -> _Operand:
        left = self._value()
        token = self._peek()
        if token.kind == "op" and token.text in _ORDER:
            self._take()
            return _comparison(token.text, left, self._value())
        if token.kind != "name":
            return left
        if token.text == "in":
            self._take()
            return _membership(left, self._value(), False)
        if token.text == "has":
            self._take()
            return _membership(self._value(), left, False)
        if token.text == "not" and self._at("name", "in", 1):
            self._take()
            self._take()
            return _membership(left, self._value(), True)
        return left

    def _value(self) -> _Operand:
        token = self._peek()
        if token.kind in ("string", "number"):
            self._take()
            return _constant(token.value)
        if token.kind == "op" and token.text == "(":
            self._enter(self._take())
            inner = self._or()
            self._expect(")", "')'")
            self.depth -= 1
            return inner
        if token.kind == "op" and token.text == "[":
            return self._list()
        if token.kind != "name" or token.text in ("and", "or", "not", "in", "has"):
            raise self._fail("a value", after=True)
        if token.text in ("true", "false"):
            self._take()
            return _constant(token.text == "true")
        if token.text in _SCHEMA:
            return self._path()
        raise UnknownAttributeError(
            f"unknown name {token.text} at position {token.position}: "
            "a path starts with agent or task", self.source, token.position, "agent or task")

    def _list(self) -> _Operand:
        self._enter(self._take())
        parts: list[_Operand] = []
        if not self._at("op", "]"):
            parts.append(self._value())
            while self._at("op", ","):
                self._take()
                parts.append(self._value())
        self._expect("]", "',' or ']'")
        self.depth -= 1
        return _listing(parts)

    def _path(self) -> _Operand:
        root = self._take()
        schema, name, shape = _SCHEMA[root.text], root.text, "root"
        read: Reader | None = None
        while self._at("op", ".") or self._at("op", "["):
            step = self._take()
            if step.text == ".":
                key_at = self._peek().position
                if self._peek().kind != "name":
                    raise self._fail("a name after '.'")
                key, label = _constant(self._peek().text), "." + self._take().text
            else:
                self._enter(step)
                key_at = self._peek().position
                key, label = self._value(), "[...]"
                self._expect("]", "']'")
                self.depth -= 1
            if shape == "root":
                if not isinstance(key.constant, str):
                    raise ExpressionSyntaxError(
                        f"expected a field name of {root.text} in quotes at position {key_at}",
                        self.source, key_at, f"a field name of {root.text}")
                if key.constant not in schema:
                    raise UnknownAttributeError(
                        f"unknown attribute {root.text}.{key.constant} at position "
                        f"{root.position}: {root.text} has {', '.join(schema)}",
                        self.source, root.position, f"one of {', '.join(schema)}")
                self.fields[root.text].add(key.constant)
                shape = schema[key.constant]
                read = _field_reader(root.text, key.constant, shape)
            elif shape == "map" and read is not None:
                if key.constant is not _VARIES and not isinstance(key.constant, (str, int, float)):
                    raise ExpressionSyntaxError(
                        f"expected a string or a number as a key at position {key_at}",
                        self.source, key_at, "a string or a number")
                read, shape = _entry_reader(read, key), "number"
            else:
                how = "by a name" if step.text == "." else "with [...]"
                raise UnknownAttributeError(
                    f"{name} is a {shape}; it cannot be indexed {how} at position {step.position}",
                    self.source, step.position, "a map field (languages or skills) to index")
            name += label
        if read is None:
            raise self._fail(f"'.' and a field of {root.text} after '{root.text}'")
        return _Operand(read)
