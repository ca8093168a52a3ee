"""The customer-service rules alone (sans-I/O): the robot's FAQ match, the settings read
from the config file, and the desk's decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imkit_tui import messages
from imkit_tui.server.customer_service.desk import Desk, DeskRefused, Reply, Seat, Signal, Stage
from imkit_tui.server.customer_service.faq import Faq, FaqEntry, parse_faq, wants_human
from imkit_tui.server.customer_service.settings import settings_from_table
from tests.cs_helpers import FAQ_TEXT, cs_settings, faq_file


def test_the_best_match_wins_and_keywords_count_double() -> None:
    faq = parse_faq(FAQ_TEXT)
    assert faq.answer("how to undo a message") == "Select it and press x within two minutes."
    assert faq.answer("Attach?") == "Press + in the composer and pick the file."
    assert faq.answer("the weather in Paris") is None
    assert faq.answer("") is None
    tie = Faq([FaqEntry("red apple", "first"), FaqEntry("red car", "second")])
    assert tie.answer("red") == "first"


def test_asking_for_a_person_is_recognised() -> None:
    assert wants_human("Can I talk to a HUMAN?")
    assert wants_human("转人工")
    assert not wants_human("how do I send a file")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[[entry]\nquestion=1", "not valid TOML"),
        ("entry = 3", "must be a list of"),
        ('[[entry]]\nquestion = "q"', "needs a question and an answer"),
        ('[[entry]]\nquestion = "q"\nanswer = "a"\nkeywords = "x"', "keywords"),
    ],
)
def test_a_bad_faq_is_named_clearly(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_faq(text)


def test_settings_from_the_config_table(tmp_path: Path) -> None:
    faq_file(tmp_path)
    settings = settings_from_table(
        {"id": "kefu", "faq": "faq.toml", "agents": ["carol", "carol", "dave"], "mode": "human"},
        tmp_path,
    )
    assert settings.agents == ("carol", "dave") and settings.mode == "human"
    assert settings.faq.answer("recall") is not None
    assert not settings_from_table({}, tmp_path).enabled
    with pytest.raises(ValueError, match="unknown customer_service keys: colour"):
        settings_from_table({"id": "kefu", "colour": "red"}, tmp_path)
    with pytest.raises(ValueError, match="mode must be one of"):
        settings_from_table({"id": "kefu", "mode": "psychic"}, tmp_path)
    with pytest.raises(ValueError, match="cannot read the FAQ"):
        settings_from_table({"id": "kefu", "faq": "missing.toml"}, tmp_path)
    with pytest.raises(ValueError, match="max_per_agent must be a int"):
        settings_from_table({"id": "kefu", "max_per_agent": True}, tmp_path)
    with pytest.raises(ValueError, match="cannot be one of its agents"):
        settings_from_table({"id": "kefu", "agents": ["kefu"]}, tmp_path)


def _desk(**overrides: object) -> Desk:
    count = iter(range(1000))
    return Desk(cs_settings(**overrides), lambda: f"s{next(count)}")


def test_the_desk_hands_over_queues_and_ends() -> None:
    desk = _desk(max_per_agent=1)
    desk.agent_online("carol")
    effects = desk.handshake("u1")
    assert isinstance(effects[0], Signal) and effects[0].content["sid"] == "s0"
    assert isinstance(effects[-1], Reply)
    handed = desk.message("u1", "talk to a human")
    assert Seat("u1", "carol") in handed and desk.agent_of("u1") == "carol"
    assert desk.message("u1", "hello?") == []  # the agent answers now, not the robot
    desk.change_mode("u2")
    assert desk.sessions["u2"].stage is Stage.QUEUED and desk.queue == ["u2"]
    ended = desk.end("carol", "u1")
    names = [e.object_name for e in ended if isinstance(e, Signal)]
    assert names[:2] == [messages.CS_END, messages.CS_PULL_EVALUATION]
    assert Seat("u2", "carol") in ended and desk.queue == []
    with pytest.raises(DeskRefused):
        desk.end("dave", "u2")  # dave is an agent, but u2 is carol's
    with pytest.raises(DeskRefused, match="not an agent"):
        desk.take("u1")
    # A customer who leaves the queue is no longer in it, and a robot session is not rated.
    desk.agent_offline("carol")
    desk.change_mode("u3")
    assert desk.sessions["u3"].stage is Stage.ROBOT  # nobody online: leave a message
    assert desk.suspend("u3") and "u3" not in desk.sessions  # nothing to rate: forgotten
    # A rated session is forgotten too; the desk holds what is live, not its past.
    desk.agent_online("carol")
    assert desk.load("carol") == 1 and desk.view("carol").mine == ("u2",)
    desk.end("carol", "u2")
    assert desk.load("carol") == 0 and desk.serving == {"carol": []}
    assert desk.evaluate("u2", 5, "") and "u2" not in desk.sessions


_EVENTS = st.lists(
    st.tuples(
        st.sampled_from(
            ["handshake", "message", "human", "suspend", "online", "offline", "take", "end", "rate"]
        ),
        st.sampled_from(["u1", "u2", "u3", "u4"]),
        st.sampled_from(["carol", "dave"]),
        st.text(max_size=20),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_EVENTS)
def test_any_order_of_events_keeps_the_desk_consistent(
    events: list[tuple[str, str, str, str]],
) -> None:
    desk = _desk(max_per_agent=2)
    for kind, customer, agent, text in events:
        try:
            if kind == "handshake":
                desk.handshake(customer)
            elif kind == "message":
                desk.message(customer, text)
            elif kind == "human":
                desk.change_mode(customer)
            elif kind == "suspend":
                desk.suspend(customer)
            elif kind == "online":
                desk.agent_online(agent)
            elif kind == "offline":
                desk.agent_offline(agent)
            elif kind == "take":
                desk.take(agent)
            elif kind == "end":
                desk.end(agent, customer)
            else:
                desk.evaluate(customer, 3, text)
        except DeskRefused:
            pass
        queued = [c for c, s in desk.sessions.items() if s.stage is Stage.QUEUED]
        assert sorted(queued) == sorted(desk.queue) and len(set(desk.queue)) == len(desk.queue)
        for name in ("carol", "dave"):
            served = [
                c for c, s in desk.sessions.items() if s.stage is Stage.HUMAN and s.agent == name
            ]
            assert sorted(served) == sorted(desk.serving.get(name, [])) and desk.load(name) == len(
                served
            )
        # Nobody waits while an online agent has room (taking past the limit is allowed).
        if desk.queue:
            assert desk.least_loaded() is None
