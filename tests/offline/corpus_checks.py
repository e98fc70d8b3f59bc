"""Rules every narrator reply must keep: English that reads right, and replies that make sense.

Two kinds of check:

- prose checks read only the text (a capital at the start, ``a``/``an`` by sound, no doubled
  articles, no known broken fragments, no raw ids or Python values, never empty);
- sense checks compare the command with the game: talking to someone who is elsewhere, an
  attack on a foe who is not here, going to a named place. What counts as a person or a
  place, and where they are, comes from the scenario data and from the tool results the
  narrator saw; nothing here names a particular scenario.

Every check returns a list of problems (empty when the reply is fine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from game_master.rules import Scenario

from .corpus_play import Turn

DIRECTIONS = (
    "north", "south", "east", "west", "up", "down", "northeast", "northwest", "southeast",
    "southwest", "in", "out", "inside", "outside",
)  # fmt: skip
STOP = {"the", "a", "an", "to", "of", "and", "at", "in", "on", "with", "my", "your", "for"}
# Vowel letters read as consonants ("a unicorn", "a one-eyed crow") and the reverse.
A_BEFORE_VOWEL = ("uni", "use", "usu", "uti", "ure", "one", "once", "eu", "ewe", "ubiq")
AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "honor", "heir")
# After "you head", "you set off" ... only a direction or a preposition may follow.
AFTER_MOTION = {
    *DIRECTIONS, "to", "for", "toward", "towards", "back", "into", "off", "onward", "onwards",
    "through", "there", "home", "across", "along", "past", "over", "on", "and", "with",
}  # fmt: skip
AFTER_THE_WAY = {*DIRECTIONS, "to", "back", "forward", "ahead", "through", "is", "you", "out"}
FRAGMENTS = [
    (re.compile(r"\bthere is no way\b", re.I), "'There is no way' (reads as a refusal idiom)"),
    (re.compile(r"\b(the|a|an)\s+(the|a|an)\b", re.I), "doubled article"),
    (re.compile(r"\b(up|down|in) of\b", re.I), "a vertical way read as a compass one"),
    (re.compile(r"(^|\s)\?(?=\s|$|[.,;])"), "a missing value shown as '?'"),
    (re.compile(r"[{}\[\]]|\bNone\b(?! of)|\bTrue\b|\bFalse\b|\\n"), "a Python value"),
    (re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b"), "a raw id with an underscore"),
]
NOT_HERE = re.compile(r"not here|isn't here|nothing like|no one|nobody|not in sight", re.I)
TALK_VERBS = (
    "talk to", "talk with", "speak to", "speak with", "ask", "chat with", "greet",
    "say hello to", "hail",
)  # fmt: skip
ATTACK_VERBS = ("attack", "fight", "hit", "strike", "stab", "kill", "slash", "punch", "smite")
GO_VERBS = (
    "go to", "walk to", "head to", "head for", "travel to", "run to", "return to", "make for",
    "take me to", "go back to", "i go to", "i walk to", "let's go to", "go into", "go over to",
)  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case words, possessive 's dropped."""
    return [w.removesuffix("'s") for w in re.findall(r"[a-z0-9']+", text.lower())]


def name_words(name: str, ident: str) -> set[str]:
    """The words a player may use for something called ``name`` with id ``ident``."""
    found = set(words(name)) | set(ident.split("_"))
    return {w for w in found if len(w) >= 3 and w not in STOP}


def article_problems(text: str) -> list[str]:
    """'a' before a vowel sound or 'an' before a consonant sound."""
    problems = []
    for match in re.finditer(r"\b([Aa]n?)\s+([A-Za-z0-9][\w'-]*)", text):
        art, word = match.group(1).lower(), match.group(2).lower()
        if word.isdigit():
            vowel = word.startswith("8") or word in ("11", "18")
        elif word.startswith(AN_BEFORE_CONSONANT):
            vowel = True
        elif word.startswith(A_BEFORE_VOWEL):
            vowel = False
        else:
            vowel = word[0] in "aeiou"
        if vowel != (art == "an"):
            problems.append(f"wrong article: {match.group(0)!r}")
    return problems


def prose_problems(turn: Turn) -> list[str]:
    """Problems in the English of a turn's replies, whatever the command was."""
    problems = []
    if not turn.texts or not turn.texts[-1].strip():
        problems.append("empty closing reply")
    for text in turn.texts:
        first = re.search(r"[A-Za-z]", text)
        if first and not first.group(0).isupper():
            problems.append(f"does not start with a capital: {text[:40]!r}")
        for match in re.finditer(r"[.!?][\"”']?\s+([a-z]\w*)", text):
            problems.append(f"sentence starts lower-case: {match.group(0)!r}")
        problems += article_problems(text)
        for pattern, what in FRAGMENTS:
            for match in pattern.finditer(text):
                problems.append(f"{what}: {match.group(0)!r}")
        for match in re.finditer(r"\byou (head|set off|make your way|walk|go)\s+(\w+)", text, re.I):
            if match.group(2).lower() not in AFTER_MOTION:
                problems.append(f"motion without a preposition: {match.group(0)!r}")
        for match in re.finditer(r"\bthe way\s+(\w+)", text, re.I):
            if match.group(1).lower() not in AFTER_THE_WAY:
                problems.append(f"'the way' fragment: {match.group(0)!r}")
    return problems


def mention_forms(name: str) -> tuple[str, ...]:
    """How a proper name may appear mid-sentence or at its start ("The Old Mill", "the ...")."""
    if name.startswith("The "):
        return (name, "the " + name[4:])
    return (name,)


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name`` as the scenario spells it."""
    return any(form in text for form in mention_forms(name))


@dataclass
class Knowledge:
    """What the narrator has seen in tool results so far: the map and who stood where."""

    exits: dict[str, dict[str, str]] = field(default_factory=dict)  # place -> dir -> place
    seen_at: dict[str, str] = field(default_factory=dict)  # NPC name -> place name

    def learn(self, turn: Turn) -> None:
        """Add what this turn's tool results showed."""
        for call in turn.calls:
            exits = call.result.get("exits")
            if call.is_error or not isinstance(exits, dict):
                continue
            self.exits[str(call.result["name"])] = {str(d): str(p) for d, p in exits.items()}
            for npc in call.result.get("npcs") or []:
                self.seen_at[str(npc["name"])] = str(call.result["name"])

    def neighbours(self, place: str) -> list[tuple[str, str]]:
        """Known (direction, from place) pairs that lead to ``place``."""
        return [(d, src) for src, ways in self.exits.items() for d, dst in ways.items()
                if dst == place]  # fmt: skip


def _rest_after(command: str, verbs: tuple[str, ...]) -> list[str] | None:
    """The words after a leading verb phrase of ``verbs``, or None when none leads."""
    said = words(command)
    if said[:1] == ["i"] or said[:1] == ["please"]:
        said = said[1:]
    for verb in sorted(verbs, key=len, reverse=True):
        size = len(verb.split())
        if said[:size] == verb.split():
            return said[size:]
    return None


def _named(rest: list[str], things: dict[str, tuple[str, str]]) -> list[str]:
    """Ids of ``things`` (id -> (name, id)) that the words ``rest`` name."""
    said = {w for w in rest if w not in STOP}
    return [key for key, (name, ident) in things.items() if said & name_words(name, ident)]


def sense_problems(turn: Turn, scenario: Scenario, known: Knowledge) -> list[str]:
    """Problems with what a reply means, for talk, attack and go-to-a-place commands."""
    return (
        _talk_problems(turn, scenario, known)
        + _attack_problems(turn, scenario)
        + _go_problems(turn, scenario, known)
    )


def _npcs(scenario: Scenario) -> dict[str, tuple[str, str]]:
    """Every NPC: id -> (name and the scenario's words for them, id)."""
    return {k: (" ".join([v.name, *v.words]), k) for k, v in scenario.npcs.items()}


def _talk_problems(turn: Turn, scenario: Scenario, known: Knowledge) -> list[str]:
    """Someone who is not here neither answers nor tells their lore; the reply says so."""
    rest = _rest_after(turn.command, TALK_VERBS)
    if rest is None:
        return []
    who = rest[: rest.index("about")] if "about" in rest else rest
    named = _named(who, _npcs(scenario))
    if len(named) != 1:
        return []
    npc = scenario.npcs[named[0]]
    if named[0] in scenario.locations[turn.before.location].npcs:
        return ["says someone here is not here"] if "not here" in turn.prose else []
    problems = []
    if not NOT_HERE.search(turn.prose):
        problems.append(f"{npc.name} is elsewhere but the reply does not say so")
    lore = words(npc.lore)
    shingles = {" ".join(lore[i : i + 5]) for i in range(len(lore) - 4)}
    if any(s in " ".join(words(turn.prose)) for s in shingles):
        problems.append(f"{npc.name} is elsewhere but their lore was told")
    seen = known.seen_at.get(npc.name)
    if seen and not mentions(turn.prose, seen):
        problems.append(f"{npc.name} was last seen in {seen}, but the reply does not say where")
    return problems


def _attack_problems(turn: Turn, scenario: Scenario) -> list[str]:
    """An attack on someone who is not here rolls nothing and hurts nobody."""
    rest = _rest_after(turn.command, ATTACK_VERBS)
    spell = _rest_after(turn.command, ("cast",))
    if rest is None and spell and "at" in spell:
        rest = spell[spell.index("at") + 1 :]  # "cast fireball at the ghost"
    if rest is None:
        return []
    foe = rest[: rest.index("with")] if "with" in rest else rest
    here = {k: v for k, v in _npcs(scenario).items()
            if k in scenario.locations[turn.before.location].npcs}  # fmt: skip
    named = _named(foe, here)
    if here and (named or not [w for w in foe if w not in STOP]):
        return []
    problems = []
    fought = [c.name for c in turn.calls if c.name in ("roll_dice", "change_hp", "ability_check")]
    if fought:
        problems.append(f"attacked a foe who is not here: {fought}")
    if turn.after.character.hp != turn.before.character.hp:
        problems.append("HP changed fighting a foe who is not here")
    if not NOT_HERE.search(turn.prose):
        problems.append("the reply does not say the foe is not here")
    return problems


def _go_problems(turn: Turn, scenario: Scenario, known: Knowledge) -> list[str]:
    """Going to a named place: there when it is next door, else where it lies."""
    rest = _rest_after(turn.command, GO_VERBS)
    if rest is None or any(w in DIRECTIONS for w in rest) or turn.before.outcome:
        return []  # (once the tale is over, nobody goes anywhere; the refusal says so)
    places = {k: (v.name, "") for k, v in scenario.locations.items()}  # players see names
    named = _named([w for w in rest if len(w) >= 4], places)
    if len(named) != 1:
        return []
    target, here = named[0], scenario.locations[turn.before.location]
    name = scenario.locations[target].name
    if target == here.id:
        return [] if turn.after.location == here.id else ["left the place it was asked to reach"]
    direction = next((d for d, dest in here.exits.items() if dest == target), None)
    if direction is not None:
        key = here.locked.get(direction)
        if key and key not in turn.before.inventory:
            return [] if turn.after.location == here.id else ["went through a locked way"]
        held = {c.result["error"]["code"] for c in turn.calls if c.is_error and c.name == "move"}
        if held & {"in_fight", "guarded"}:  # a fight to flee, a foe on the way: not a move
            return [] if turn.after.location == here.id else ["walked out of a fight"]
        return [] if turn.after.location == target else [f"did not go to {name}, next door"]
    problems = []
    if turn.after.location != here.id:
        problems.append(f"moved although {name} is not next door")
    if not mentions(turn.prose, name):
        problems.append(f"does not name {name}")
    ways = known.neighbours(name)
    if ways and not any(_says_way(turn.prose, d, src) for d, src in ways):
        problems.append(f"{name} is known to lie {ways}, but the reply does not say so")
    return problems


def _says_way(prose: str, direction: str, origin: str) -> bool:
    """Whether one sentence of ``prose`` gives ``direction`` and the place it starts from."""
    for said in re.split(r"(?<=[.!?])\s+", prose):
        if re.search(rf"\b{direction}\b", said) and mentions(said, origin):
            return True
    return False


def all_problems(turn: Turn, scenario: Scenario, known: Knowledge) -> list[str]:
    """Every problem with one turn."""
    return prose_problems(turn) + sense_problems(turn, scenario, known)


def describe(problems: list[tuple[str, int, str, list[str], str]]) -> str:
    """A failure report: file, line, command, problems and the reply."""
    out = []
    for file, number, command, found, prose in problems:
        out.append(f"{file}:{number}: {command!r}\n  " + "\n  ".join(found) + f"\n  > {prose}")
    return "\n".join(out)


__all__: list[Any] = ["Knowledge", "all_problems", "describe"]
