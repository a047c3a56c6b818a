"""Wildcard patterns: ``*`` matches any run of characters, ``\\*`` and ``\\\\`` are literals.

A parsed wildcard is a tuple of literal segments split at each ``*``; matching is a
greedy left-to-right search, linear in practice and free of regex backtracking.
"""

from __future__ import annotations

from busway.errors import InvalidEventPatternError

Segments = tuple[str, ...]

# EventBridge rejects a wildcard when too many of its prefixes can match one input at
# once (each live prefix is a state the matcher must track). Its threshold is internal;
# ten is the cap event-ruler's own tests call production-style, and it accepts every
# wildcard AWS was observed to accept while rejecting the one AWS was observed to reject
# (`*:*:*:*:*:event-bus/*`, eleven of whose prefixes match "::::::").
MAX_COMPLEXITY = 10
_SUBSET_BUDGET = 20_000

_TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating "
    "character sequences after a wildcard character"
)


def parse_wildcard(text: str) -> Segments:
    """Split ``text`` at unescaped stars; raise with EventBridge's messages."""
    data = text.encode()
    segments: list[bytearray] = [bytearray()]
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x2A:
            if i + 1 < len(data) and data[i + 1] == 0x2A:
                raise InvalidEventPatternError(f"Consecutive wildcard characters at pos {i + 1}")
            segments.append(bytearray())
        elif byte == 0x5C:
            if i + 1 < len(data) and data[i + 1] in (0x2A, 0x5C):
                segments[-1].append(data[i + 1])
                i += 1
            else:
                raise InvalidEventPatternError(f"Invalid escape character at pos {i + 1}")
        else:
            segments[-1].append(byte)
        i += 1
    return tuple(segment.decode(errors="surrogateescape") for segment in segments)


def check_complexity(score: int) -> None:
    """Raise EventBridge's error when ``score`` live prefixes are too many."""
    if score > MAX_COMPLEXITY:
        raise InvalidEventPatternError(_TOO_COMPLEX)


def wildcard_complexity(segments: Segments) -> int:
    """The most non-empty prefixes of the wildcard that one input can match at once.

    ``*a*a*a*`` scores 7: "aaa" matches all seven of its prefixes. Computed by
    walking the sets of live prefixes an input can produce (a subset construction).
    """
    tokens = _tokens(segments)
    start = _closure(tokens, frozenset({0}))
    alphabet = {token for token in tokens if token is not None} | {None}
    seen, frontier, best = {start}, [start], len(start - {0})
    while frontier and len(seen) < _SUBSET_BUDGET:
        live = frontier.pop()
        for char in alphabet:
            following = _step(tokens, live, char)
            if following and following not in seen:
                seen.add(following)
                frontier.append(following)
                best = max(best, len(following - {0}))
    return best


def _tokens(segments: Segments) -> list[str | None]:
    tokens: list[str | None] = list(segments[0])
    for segment in segments[1:]:
        tokens.append(None)
        tokens.extend(segment)
    return tokens


def _closure(tokens: list[str | None], positions: frozenset[int]) -> frozenset[int]:
    result = set(positions)
    for start in sorted(positions):
        position = start
        while position < len(tokens) and tokens[position] is None:
            position += 1
            result.add(position)
    return frozenset(result)


def _step(tokens: list[str | None], live: frozenset[int], char: str | None) -> frozenset[int]:
    following = set()
    for position in live:
        if position > 0 and tokens[position - 1] is None:
            following.add(position)
        if position < len(tokens) and char is not None and tokens[position] == char:
            following.add(position + 1)
    return _closure(tokens, frozenset(following))


def wildcard_matches(segments: Segments, value: str) -> bool:
    if len(segments) == 1:
        return value == segments[0]
    first, last = segments[0], segments[-1]
    if len(value) < len(first) + len(last):
        return False
    if not value.startswith(first) or not value.endswith(last):
        return False
    position, end = len(first), len(value) - len(last)
    for middle in segments[1:-1]:
        found = value.find(middle, position, end)
        if found < 0:
            return False
        position = found + len(middle)
    return True
