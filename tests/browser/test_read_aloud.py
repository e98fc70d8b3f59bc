"""Read aloud in Chromium: the utterances the page queues, recorded by a speechSynthesis
stand-in installed before the page's scripts (headless Chromium has no voices to speak with).

Run: ``python -m pytest -q tests/browser/test_read_aloud.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .pages import expect, play, start_game

pytestmark = pytest.mark.browser

# Records every speak() and cancel(); ``shown`` is how much of the reply streaming into the
# story was on screen when the utterance was queued (null once no reply is streaming).
RECORDER = """(() => {
    const record = {log: [], voices: [
        {name: 'Ash', lang: 'en-GB', voiceURI: 'test-ash', default: false, localService: true},
        {name: 'Birch', lang: 'en-US', voiceURI: 'test-birch', default: true, localService: true},
    ]};
    window.__speech = record;
    window.SpeechSynthesisUtterance = class {
        constructor(text) { this.text = text; this.voice = null; this.rate = 1; this.lang = ''; }
    };
    const synth = new EventTarget();
    synth.speak = (u) => {
        const streaming = document.querySelector('#story .entry-gm.streaming .entry-text');
        record.log.push({speak: u.text, rate: u.rate, voice: u.voice && u.voice.voiceURI,
                         shown: streaming ? streaming.textContent.length : null});
    };
    synth.cancel = () => record.log.push({cancel: true});
    synth.getVoices = () => record.voices;
    Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
})();"""


def speech(page: Any) -> list[dict[str, Any]]:
    """What the page asked the browser to say (and to stop saying), in order."""
    return list(page.evaluate("() => window.__speech.log"))


def spoken(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The utterances of a speech log."""
    return [entry for entry in log if "speak" in entry]


def words(text: str) -> list[str]:
    """A text's words, however its spaces and line breaks fall."""
    return text.split()


def test_narration_is_read_aloud_as_it_streams(serve: Any, new_page: Any) -> None:
    """Off by default; on, each sentence of the narration is queued as soon as it has
    streamed in (before turn.completed), in the chosen voice and rate, and nothing but the
    narration; a new turn and the toggle going off stop the speech; the page remembers the
    choice, voice and rate."""
    base = serve(GM_OFFLINE_FIRST_TOKEN_MS="30", GM_OFFLINE_TOKENS_PER_S="150")
    page, problems = new_page()
    page.add_init_script(RECORDER)
    start_game(page, base)
    toggle = page.get_by_role("button", name="Read aloud")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    play(page, "take the bread")
    assert speech(page) == [], "read aloud spoke while off"

    # On, by keyboard; a voice and a faster rate.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Voice").select_option("test-birch")
    page.get_by_label("Speed").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Speed")).to_have_value("1.2")

    play(page, "look around")
    reply = page.locator("#story .entry-gm:not(.intro)").last
    narration = reply.locator(".entry-text").inner_text()
    log = speech(page)
    said = spoken(log)
    assert log[0] == {"cancel": True}, "a new turn did not stop the speech first"
    assert len(said) >= 3, said
    # The narration and nothing else (no player text, no dice log), every word of it.
    assert words(" ".join(u["speak"] for u in said)) == words(narration)
    # Speaking began while the reply was still streaming in: before turn.completed.
    first = said[0]
    assert first["shown"] is not None and first["shown"] < len(narration), first
    assert all(u["voice"] == "test-birch" and u["rate"] == pytest.approx(1.2) for u in said)

    # The next turn stops what is still being said before it speaks.
    page.evaluate("() => { window.__speech.log = []; }")
    play(page, "listen")
    log = speech(page)
    assert log[0] == {"cancel": True} and spoken(log), log

    # Remembered: a reload finds it on, with the same voice and rate.
    page.reload()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Voice")).to_have_value("test-birch")
    expect(page.get_by_label("Speed")).to_have_value("1.2")

    # Off: the speech stops, and the next turn is not read.
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_label("Voice")).to_be_hidden()
    assert speech(page) == [{"cancel": True}]
    play(page, "look around")
    assert speech(page) == [{"cancel": True}]
    page.reload()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert problems.items == []


LONG = (
    "The bridge sways under you, its ropes groaning in the wind, its planks slick with the "
    "morning's rain, and far below the river churns white between the rocks, roaring so loud "
    "that you cannot hear your own breath, let alone the shouts of the guards behind you."
)
NARRATION = (
    "You leap for the ledge (Athletics 1d20+3: 14 + 3 = 17 vs DC 12) and haul yourself up! "
    f"{LONG}\n\n**The wind howls.** Roll 2d6 for the fall."
)


def test_dice_are_skipped_and_long_sentences_cut(serve: Any, new_page: Any) -> None:
    """A model's narration with dice notation, sums and markdown: read without them; a
    sentence longer than Chrome speaks whole is cut at its pauses."""
    from game_master.offline import Reply
    from game_master.testing.stubs import ScriptedStub

    stub = ScriptedStub(lambda request, n: Reply.text(NARRATION))
    url = stub.start()
    try:
        base = serve(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="stub-key")
        page, problems = new_page()
        page.add_init_script(RECORDER)
        start_game(page, base)
        page.get_by_role("button", name="Read aloud").click()
        play(page, "jump")
        said = [u["speak"] for u in spoken(speech(page))]
        assert said[0] == "You leap for the ledge and haul yourself up!"
        assert said[-2:] == ["The wind howls.", "Roll for the fall."]
        cut = said[1:-2]
        assert len(cut) >= 2 and all(len(piece) <= 180 for piece in cut), cut
        assert words(" ".join(cut)) == words(LONG)
        assert all(piece.endswith((",", ".")) for piece in cut), cut
        for utterance in said:
            assert not re.search(r"\d|\*|DC", utterance), utterance
        assert problems.items == []
    finally:
        stub.stop()
