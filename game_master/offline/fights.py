"""The narrator's English for fights: who moves first, the blow, each foe's turn, how hurt
everyone is, a fall, death saves and flight. No dice numbers: the dice log has them."""

from __future__ import annotations

from typing import Any

from .notebook import Notebook
from .text import Voice, cap, listing, mapping, mid, the_item, way_phrase

COUNT = {1: "one", 2: "two", 3: "three"}


def health(hp: Any, max_hp: Any) -> str:
    """How hurt someone is, in words."""
    try:
        share = int(hp) / max(1, int(max_hp))
    except (TypeError, ValueError):
        return ""
    if share >= 1:
        return "unhurt"
    if share > 0.66:
        return "scratched"
    if share > 0.33:
        return "hurt"
    return "badly hurt"


def foe_turn(voice: Voice, turn: dict[str, Any]) -> str:
    """One foe's turn."""
    foe = cap(mid(str(turn.get("name") or "your foe")))
    if turn.get("hit") and turn.get("critical"):
        return voice.pick(["{f} catches you with a terrible blow.", "{f} finds a gap and strikes "
                           "deep."], f=foe)  # fmt: skip
    if turn.get("hit"):
        return voice.pick(["{f} strikes you.", "{f} lands a blow on you.", "{f} catches you."],
                          f=foe)  # fmt: skip
    return voice.pick(["{f} lunges, and misses.", "{f} strikes at you, but you twist away.",
                       "{f} comes at you; you turn the blow aside."], f=foe)  # fmt: skip


def _blow(voice: Voice, r: dict[str, Any]) -> list[str]:
    """The character's own attack."""
    foe, weapon = mid(str(r.get("name") or "your foe")), str(r.get("weapon") or "blow")
    how = "your fists" if weapon == "unarmed strike" else (
        weapon if weapon.islower() else "your " + the_item(weapon))  # fmt: skip
    if not r.get("success"):
        return [voice.pick(["You swing {h} at {f} and miss.", "{F} turns aside {h}.",
                            "You go for {f} with {h}, but find only air."],
                           h=how, f=foe, F=cap(foe))]  # fmt: skip
    out = [voice.pick(["A perfect blow: you strike {f} hard with {h}." if r.get("critical") else
                       "You strike {f} with {h}.", "{H} finds {f}.", "You land a blow on {f}."],
                      h=how, H=cap(how), f=foe)]  # fmt: skip
    if r.get("defeated"):
        out.append(voice.pick(["{F} falls and does not rise.", "{F} crashes down and lies still.",
                               "{F} is beaten."], F=cap(foe)))  # fmt: skip
        if r.get("freed"):
            things = listing(["the " + the_item(str(t)) for t in r["freed"]])
            out.append(f"Nothing stands between you and {things} now.")
    else:
        foe_state = mapping(r.get("foe"))
        hurt = health(foe_state.get("hp"), foe_state.get("max_hp"))
        if hurt and hurt != "unhurt":
            out.append(f"{cap(foe)} is {hurt}.")
    return out


def attack(voice: Voice, r: dict[str, Any], book: Notebook) -> list[str]:
    """A round of a fight, in order: initiative, the foes that acted first, the blow, the
    foes after, then where things stand."""
    out: list[str] = []
    order = r.get("initiative") or []
    if order:
        leader = order[0]
        out.append("You move first." if leader.get("id") == "pc" else
                   f"{cap(mid(str(leader.get('name'))))} is quicker than you.")  # fmt: skip
    turns = [t for t in r.get("foe_turns") or [] if isinstance(t, dict)]
    out += [foe_turn(voice, t) for t in turns if t.get("first")]
    if "success" in r:
        out += _blow(voice, r)
    out += [foe_turn(voice, t) for t in turns if not t.get("first")]
    out += standing(voice, r, book)
    return out


def standing(voice: Voice, r: dict[str, Any], book: Notebook) -> list[str]:
    """Where the fight stands for the character: fallen, hurt, and what they can do next."""
    if r.get("dead"):
        return []
    if r.get("down"):
        return [voice.pick(["You fall, and the world goes dark. You are dying.",
                            "Your legs give way; darkness closes in. You are dying."])]  # fmt: skip
    out = []
    hurt = health(r.get("hp"), r.get("max_hp"))
    if hurt in ("hurt", "badly hurt"):
        out.append(f"You are {hurt}.")
    fight = r.get("fight") if isinstance(r.get("fight"), dict) else None
    if r.get("fight_over") == "won":
        out.append(voice.pick(["The fight is over.", "It is over; you are still standing."]))
    elif fight is not None:
        back = book.previous()
        exits = (book.here or {}).get("exits") or {}
        way = next((d for d, p in exits.items() if p == back), next(iter(exits), ""))
        flee = f", or flee {way_phrase(book.here, way)}" if way else ""
        out.append(voice.pick(["You can attack again{f}.", "Strike again{f}."], f=flee))
    return out


def after_turns(voice: Voice, r: dict[str, Any], book: Notebook) -> list[str]:
    """The foes' turns after an action taken in a fight, and where that leaves things."""
    turns = [t for t in r.get("foe_turns") or [] if isinstance(t, dict)]
    if not turns and "foe_turns" not in r:
        return []
    return [foe_turn(voice, t) for t in turns] + standing(voice, r, book)


def death_save(voice: Voice, r: dict[str, Any], book: Notebook) -> list[str]:
    """A death save: holding on, slipping away, waking, or the end."""
    if r.get("dead"):
        return ["Your last breath goes out of you."]
    if r.get("revived"):
        return ["Your eyes snap open: you are alive, barely, and on your feet again."]
    if r.get("stable"):
        where = book.here.get("name") if book.here else ""
        return [f"Slowly you come to, weak but alive{', in ' + mid(str(where)) if where else ''}."]
    held = COUNT.get(int(r.get("successes") or 0), "")
    lost = COUNT.get(int(r.get("failures") or 0), "")
    if r.get("success"):
        return [voice.pick(["In the dark you hold on.", "Something in you refuses to let go."])
                + (f" ({held} of three holds)" if held else "")]  # fmt: skip
    return [voice.pick(["You slip further into the dark.", "Life ebbs out of you."])
            + (f" ({lost} of three slips)" if lost else "")]  # fmt: skip


def flee(voice: Voice, r: dict[str, Any]) -> list[str]:
    """Breaking away: the blows taken on the way out."""
    out = [voice.pick(["You break away.", "You turn and run."])]
    out += [foe_turn(voice, t) for t in r.get("foe_turns") or [] if isinstance(t, dict)]
    if not r.get("fled"):
        out += ["You do not get far."]
    return out
