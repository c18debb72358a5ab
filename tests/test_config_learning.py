"""Config of issue 12: `learning.review_days` and `subscriptions[].mode`, checked at start-up
with file, line, key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.core.learning_model import SubscriptionMode
from bot.runtime.config_sync import config_subscriptions
from bot.runtime.delivery.tip_choice import learning_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_review_days_default_to_30_90_180(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "timezone: UTC\n"), environ={})
    assert config.learning.review_days == [30, 90, 180]
    assert learning_settings(config.learning).review_days == (30, 90, 180)


def test_review_days_from_the_config_reach_the_learning_rules(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "learning:\n  review_days: [7, 14, 60, 365]\n"), {})
    assert learning_settings(config.learning).review_days == (7, 14, 60, 365)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[30, 20]", "the intervals must grow"),
        ("[30, 30]", "the intervals must grow"),
        ("[0, 30]", "from 1 to 3650"),
        ("[-5]", "from 1 to 3650"),
        ("[]", "at least one interval"),
        ("thirty", "must be"),
    ],
)
def test_bad_review_days_name_the_line_key_and_fix(
    tmp_path: Path, value: str, message: str
) -> None:
    path = write(tmp_path, f"timezone: UTC\nlearning:\n  review_days: {value}\n")
    with pytest.raises(ConfigError) as e:
        load_config(path, environ={})
    [problem] = e.value.problems
    assert problem.startswith(f"{path}:3: `learning.review_days`")
    assert message in problem


def test_a_mistyped_learning_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, "learning:\n  reviewdays: [30]\nlerning: {}\n")
    with pytest.raises(ConfigError) as e:
        load_config(path, environ={})
    assert e.value.problems == [
        f"{path}:2: unknown key `learning.reviewdays`; did you mean `review_days`?",
        f"{path}:3: unknown key `lerning`; did you mean `learning`?",
    ]


SUB = "subscriptions:\n  - platform: console\n    channel: terminal\n"


def test_a_subscription_mode_defaults_to_tip_and_quiz_reaches_the_store_spec(
    tmp_path: Path,
) -> None:
    text = SUB + "  - platform: slack\n    channel: C1\n    mode: quiz\n"
    config = load_config(write(tmp_path, text), environ={})
    assert [s.mode for s in config_subscriptions(config)] == [
        SubscriptionMode.TIP,
        SubscriptionMode.QUIZ,
    ]


def test_a_mistyped_mode_value_gets_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, SUB + "    mode: quizz\n")
    with pytest.raises(ConfigError) as e:
        load_config(path, environ={})
    assert e.value.problems == [
        f"{path}:4: `subscriptions.0.mode`: 'quizz' is not a mode; did you mean `quiz`? "
        "use `tip` or `quiz`"
    ]


def test_a_mistyped_mode_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, SUB + "    mdoe: quiz\n")
    with pytest.raises(ConfigError) as e:
        load_config(path, environ={})
    assert e.value.problems == [
        f"{path}:4: unknown key `subscriptions.0.mdoe`; did you mean `mode`?"
    ]
