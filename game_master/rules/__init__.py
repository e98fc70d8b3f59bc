"""Pure game rules: dice, checks, characters, movement, inventory, rests.

Nothing here does I/O. Every change the model asks for goes through a function in this
package, which either returns a JSON-safe result or raises :class:`RuleError` with a stable
``code``, the ``facts`` behind it, and a message the model can read and act on.
"""

from __future__ import annotations

from .character import (
    ABILITIES,
    ABILITY_ALIASES,
    CLASSES,
    CONDITIONS,
    NAME_RE,
    PROFICIENCY_BONUS,
    SKILLS,
    Character,
    CharacterClass,
    GameState,
    ability_modifier,
    new_game_state,
    require_playing,
    validate_character_name,
)
from .dice import (
    DC_RANGE,
    MAX_DICE,
    MAX_MODIFIER,
    MAX_SIDES,
    Advantage,
    DiceSpec,
    ability_check,
    parse_dice,
    roll_dice,
)
from .refusals import CODES, RuleError, refuse
from .scenario import (
    DEFAULT_SCENARIO,
    Item,
    Location,
    Npc,
    Scenario,
)
from .scenario_checks import Problem, ScenarioError, check_scenario, scenario_schema
from .scenario_library import (
    ScenarioEntry,
    ScenarioLibrary,
    available_scenarios,
    load_scenario,
    read_scenario_file,
)
from .world import (
    MAX_HP_CHANGE,
    change_hp,
    describe_location,
    drop_item,
    move,
    public_state,
    resolve_item,
    set_condition,
    take_item,
    use_item,
)

__all__ = [
    "ABILITIES",
    "ABILITY_ALIASES",
    "CLASSES",
    "CODES",
    "CONDITIONS",
    "DC_RANGE",
    "DEFAULT_SCENARIO",
    "MAX_DICE",
    "MAX_HP_CHANGE",
    "MAX_MODIFIER",
    "MAX_SIDES",
    "NAME_RE",
    "PROFICIENCY_BONUS",
    "SKILLS",
    "Advantage",
    "Character",
    "CharacterClass",
    "DiceSpec",
    "GameState",
    "Item",
    "Location",
    "Npc",
    "RuleError",
    "Problem",
    "Scenario",
    "ScenarioEntry",
    "ScenarioError",
    "ScenarioLibrary",
    "ability_check",
    "ability_modifier",
    "available_scenarios",
    "change_hp",
    "check_scenario",
    "describe_location",
    "drop_item",
    "load_scenario",
    "move",
    "new_game_state",
    "parse_dice",
    "public_state",
    "read_scenario_file",
    "refuse",
    "require_playing",
    "resolve_item",
    "roll_dice",
    "scenario_schema",
    "set_condition",
    "take_item",
    "use_item",
    "validate_character_name",
]
