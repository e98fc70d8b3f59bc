"""The scenario format: schema and reference checks naming file and path; the library."""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from game_master import rules

REPO = Path(__file__).resolve().parent.parent.parent
BUNDLED = REPO / "game_master" / "scenarios"
# The bundled scenario ids, sorted as the library lists every id.
PACKAGED = sorted(p.stem for p in BUNDLED.glob("*.json") if p.name != "scenario.schema.json")


def bell() -> dict[str, Any]:
    """A fresh copy of the Drowned Bell's data."""
    raw: dict[str, Any] = json.loads((BUNDLED / "drowned_bell.json").read_text("utf-8"))
    return copy.deepcopy(raw)


def problems(raw: Any) -> list[str]:
    """The problems as their one-line texts."""
    return [str(p) for p in rules.check_scenario(raw, "x.json")]


def test_the_schema_is_valid_draft_2020_12_and_every_bundled_file_passes() -> None:
    """The published schema is itself valid; every bundled scenario loads clean."""
    jsonschema.Draft202012Validator.check_schema(rules.scenario_schema())
    for path in sorted(BUNDLED.glob("*.json")):
        if path.name != "scenario.schema.json":
            assert rules.read_scenario_file(path).id == path.stem


OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east", "up": "down"}
OPPOSITE |= {v: k for k, v in OPPOSITE.items()}


@pytest.mark.parametrize("scenario_id", PACKAGED)
def test_a_bundled_adventure_is_a_whole_one(scenario_id: str) -> None:
    """At least 8 places whose exits lead back the way they came, a foe guarding something
    on the way to the ending, people with a voice and topics, a weapon to find, lore
    entries, and a locked way whose key lies somewhere in the world."""
    scenario = rules.read_scenario_file(BUNDLED / f"{scenario_id}.json")
    places = scenario.locations
    assert len(places) >= 8
    for place in places.values():
        for direction, target in place.exits.items():
            assert places[target].exits.get(OPPOSITE[direction]) == place.id, (place.id, direction)
    foes = [npc for npc in scenario.npcs.values() if npc.hostile]
    assert any(foe.guards for foe in foes)
    assert "defeat" in str(rules.prove(json.loads((BUNDLED / f"{scenario_id}.json").read_text())))
    people = [npc for npc in scenario.npcs.values() if not npc.hostile]
    assert people and all(npc.voice and len(npc.topics) >= 3 for npc in people)
    assert any(item.weapon for item in scenario.items.values())
    assert all(npc.lore for npc in scenario.npcs.values()) and scenario.lore
    keys = {key for place in places.values() for key in place.locked.values()}
    lying = {item for place in places.values() for item in place.items}
    assert keys and keys <= lying
    assert scenario.ending.get("defeat")


def _exit(raw: dict[str, Any]) -> None:
    raw["locations"]["village_square"]["exits"]["north"] = "cryptt"


def _lock(raw: dict[str, Any]) -> None:
    raw["locations"]["village_square"]["locked"] = {"north": "skeleton_key"}


def _lock_no_exit(raw: dict[str, Any]) -> None:
    raw["locations"]["village_square"]["locked"] = {"up": "rope"}


def _item(raw: dict[str, Any]) -> None:
    raw["locations"]["village_square"]["items"] = ["bread", "golden_goose"]


def _npc(raw: dict[str, Any]) -> None:
    raw["locations"]["village_square"]["npcs"] = ["banshee"]


def _start(raw: dict[str, Any]) -> None:
    raw["start"] = "nowhere"


def _ending(raw: dict[str, Any]) -> None:
    raw["ending"]["location"] = "moon"


def _title(raw: dict[str, Any]) -> None:
    del raw["title"]


def _type(raw: dict[str, Any]) -> None:
    raw["items"]["bread"]["heal"] = "lots"


def _extra(raw: dict[str, Any]) -> None:
    raw["locations"]["village_square"]["exist"] = {}


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        (_exit, "x.json: locations.village_square.exits.north: unknown location 'cryptt'"),
        (_lock, "x.json: locations.village_square.locked.north: unknown key item 'skeleton_key'"),
        (_lock_no_exit, "x.json: locations.village_square.locked.up: no exit 'up' here to lock"),
        (_item, "x.json: locations.village_square.items[1]: unknown item 'golden_goose'"),
        (_npc, "x.json: locations.village_square.npcs[0]: unknown NPC 'banshee'"),
        (_start, "x.json: start: unknown location 'nowhere'"),
        (_ending, "x.json: ending.location: unknown location 'moon'"),
        (_title, "x.json: 'title' is a required property"),
        (_type, "x.json: items.bread.heal: 'lots' is not of type 'integer'"),
        (_extra, "x.json: locations.village_square: Additional properties are not allowed"),
    ],
)
def test_each_broken_variant_names_file_and_path(
    breaks: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """The message says which file, where in it, and what is wrong."""
    raw = bell()
    breaks(raw)
    found = problems(raw)
    assert any(p.startswith(expected) for p in found), found
    with pytest.raises(rules.ScenarioError) as info:
        rules.Scenario.from_dict(raw, "x.json")
    assert info.value.problems and all(p.file == "x.json" for p in info.value.problems)


def test_not_json_and_a_wrong_id_are_named(tmp_path: Path) -> None:
    """A syntax error gives its line; the id must match the file name."""
    bad = tmp_path / "broken.json"
    bad.write_text('{"id": "broken",\n  "title": }', "utf-8")
    with pytest.raises(rules.ScenarioError, match=r"broken.json: not valid JSON.*line 2"):
        rules.read_scenario_file(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(bell()), "utf-8")
    with pytest.raises(rules.ScenarioError, match=r"other.json: id: 'drowned_bell' must match"):
        rules.read_scenario_file(other)


def good_scenario(scenario_id: str) -> dict[str, Any]:
    """A small valid scenario with that id (the Drowned Bell renamed)."""
    raw = bell()
    raw["id"] = scenario_id
    raw["title"] = f"Tale of {scenario_id}"
    return raw


def test_a_folder_with_one_good_and_one_broken_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The good one is on offer beside the bundled; the broken one is logged and skipped."""
    (tmp_path / "heist.json").write_text(json.dumps(good_scenario("heist")), "utf-8")
    broken = good_scenario("journey")
    _exit(broken)
    (tmp_path / "journey.json").write_text(json.dumps(broken), "utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", "utf-8")
    library = rules.ScenarioLibrary(tmp_path)
    with caplog.at_level(logging.ERROR):
        assert library.ids() == sorted([*PACKAGED, "heist"])
    assert "journey.json: locations.village_square.exits.north: unknown location" in caplog.text
    assert {e.scenario.id: e.source for e in library.entries()} == {
        **dict.fromkeys(PACKAGED, "package"),
        "heist": str(tmp_path / "heist.json"),
    }
    assert [str(p) for e in library.skipped() for p in e.problems] == [
        "journey.json: locations.village_square.exits.north: unknown location 'cryptt'",
        # The chapel's way south no longer finds a way back north: the same broken exit.
        "journey.json: locations.chapel.exits.south: no exit of 'village_square' leads back "
        "here; add one, or list 'south' in one_way",
    ]
    with pytest.raises(KeyError):
        library.get("journey")


def test_a_folder_file_cannot_replace_a_bundled_scenario(tmp_path: Path) -> None:
    """Same id as the package's: skipped, the bundled one stays."""
    (tmp_path / "drowned_bell.json").write_text(json.dumps(good_scenario("drowned_bell")))
    library = rules.ScenarioLibrary(tmp_path)
    assert library.get("drowned_bell").title == "The Drowned Bell"
    assert "already loaded" in str(library.skipped()[0])


def test_the_library_reads_once(tmp_path: Path) -> None:
    """Loaded on first use and cached: a file added later is not seen by this library."""
    library = rules.ScenarioLibrary(tmp_path)
    assert library.ids() == PACKAGED
    (tmp_path / "heist.json").write_text(json.dumps(good_scenario("heist")), "utf-8")
    assert library.ids() == PACKAGED
    assert rules.ScenarioLibrary(tmp_path).ids() == sorted([*PACKAGED, "heist"])


def test_summaries_carry_tagline_and_tone() -> None:
    """What the picker shows."""
    summaries = {s["id"]: s for s in rules.ScenarioLibrary().summaries()}
    assert list(summaries) == PACKAGED
    assert summaries["drowned_bell"]["locations"] == 9
    assert all(s["tagline"] and s["tone"] for s in summaries.values())


def test_the_example_in_the_docs_validates(tmp_path: Path) -> None:
    """docs/scenarios.md's complete example passes schema and references as it stands."""
    text = (REPO / "docs" / "scenarios.md").read_text("utf-8")
    block = re.findall(r"```json\n(.*?)```", text, re.S)[-1]  # the complete example
    path = tmp_path / "lighthouse.json"
    path.write_text(block, "utf-8")
    scenario = rules.read_scenario_file(path)
    assert len(scenario.locations) == 3 and scenario.tagline
    # Every field of the schema is described in the doc, top level and within each object.
    schema = rules.scenario_schema()
    for name in schema["properties"]:
        assert f"`{name}`" in text, name
    for kind in ("location", "item", "npc"):
        for name in schema["$defs"][kind]["properties"]:
            assert f"`{name}`" in text, (kind, name)
    assert "`defeat`" in text and "`finesse`" in text


# ------------------------------------------------------------------ the solver


def _one_way(raw: dict[str, Any]) -> None:
    del raw["locations"]["chapel"]["exits"]["south"]


def _key_nowhere(raw: dict[str, Any]) -> None:
    raw["locations"]["ossuary"]["items"].remove("iron_key")


def _key_behind_its_lock(raw: dict[str, Any]) -> None:
    raw["locations"]["ossuary"]["items"].remove("iron_key")
    raw["locations"]["bell_chamber"]["items"].append("iron_key")


def _unreachable(raw: dict[str, Any]) -> None:
    raw["locations"]["hermitage"] = {"name": "Hermitage", "description": "Alone."}


def _placed_twice(raw: dict[str, Any]) -> None:
    raw["locations"]["tavern"]["items"].append("iron_key")


def _guards_elsewhere(raw: dict[str, Any]) -> None:
    raw["npcs"]["warden"]["guards"] = ["rope"]


def _friend_fights(raw: dict[str, Any]) -> None:
    raw["npcs"]["mara"]["hp"] = 30


def _ending_locked_away(raw: dict[str, Any]) -> None:
    raw["locations"]["crypt_hall"]["locked"]["up"] = "bell_clapper"
    raw["locations"]["crypt_entrance"]["locked"] = {"down": "bell_clapper"}


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        (_one_way, "x.json: locations.village_square.exits.north: no exit of 'chapel' leads "
                   "back here; add one, or list 'north' in one_way"),
        (_key_nowhere, "x.json: locations.crypt_hall.locked.down: its key 'iron_key' lies "
                       "nowhere, so the way never opens"),
        (_key_behind_its_lock, "x.json: locations.crypt_hall.locked.down: its key 'iron_key' "
                               "lies in 'bell_chamber', which is reached only through this "
                               "lock"),
        (_unreachable, "x.json: locations.hermitage: no way from the start reaches this place"),
        (_placed_twice, "x.json: locations.ossuary.items[0]: item 'iron_key' is already "
                        "placed in 'tavern'"),
        (_guards_elsewhere, "x.json: npcs.warden.guards[0]: 'rope' is neither an item lying "
                            "at the foe's place nor one of its exits"),
        (_friend_fights, "x.json: npcs.mara.hp: only a foe (hostile: true) fights or guards"),
        (_ending_locked_away, "x.json: ending.item: no player can reach 'bell_clapper'"),
    ],
)  # fmt: skip
def test_the_solver_names_what_keeps_an_adventure_from_being_whole(
    breaks: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """A one-way exit, a key that lies nowhere or behind its own lock, a place nobody
    reaches, an item in two places, a guard of something elsewhere, a friend with fight
    numbers, an ending out of reach: each is named, at its path, and the file is refused."""
    raw = bell()
    assert rules.prove(raw) is not None
    breaks(raw)
    found = problems(raw)
    assert any(p.startswith(expected) for p in found), found
    with pytest.raises(rules.ScenarioError):
        rules.Scenario.from_dict(raw, "x.json")


def test_an_exit_marked_one_way_needs_no_way_back() -> None:
    """The same exit is fine once listed in one_way (the chapel is then reached, and left,
    only by ways that exist: here, a new way back through the tavern)."""
    raw = bell()
    _one_way(raw)
    raw["locations"]["village_square"]["one_way"] = ["north"]
    raw["locations"]["chapel"]["exits"]["east"] = "tavern"
    raw["locations"]["tavern"]["exits"]["north"] = "chapel"
    assert problems(raw) == []


@pytest.mark.parametrize("scenario_id", PACKAGED)
def test_every_bundled_adventure_is_proved_by_a_walk_through_its_locks(scenario_id: str) -> None:
    """The solver's walk takes each key before passing its lock and ends with the goal."""
    raw: dict[str, Any] = json.loads((BUNDLED / f"{scenario_id}.json").read_text("utf-8"))
    steps = list(rules.prove(raw).steps)  # type: ignore[union-attr]
    goal = raw["items"][raw["ending"]["item"]]["name"].lower()
    assert f"take {goal}" in steps
    for loc in raw["locations"].values():
        for direction, key in loc.get("locked", {}).items():
            key_name = raw["items"][key]["name"].lower()
            through = f"{direction} ({key_name})"
            if through in steps:
                assert steps.index(f"take {key_name}") < steps.index(through)


def test_tiers_are_one_table_in_the_code_the_schema_and_the_doc() -> None:
    """The schema's tiers are the rules' tiers, and the doc's table shows their numbers."""
    schema = rules.scenario_schema()["$defs"]["npc"]["properties"]["tier"]
    assert schema["enum"] == list(rules.TIERS)
    text = (REPO / "docs" / "scenarios.md").read_text("utf-8")
    for tier, s in rules.TIERS.items():
        row = f"| `{tier}` | {s.hp} | {s.ac} | +{s.attack} | {s.damage} | +{s.initiative} |"
        assert row in text, row
