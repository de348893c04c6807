"""Load shapes as stages."""

from __future__ import annotations

import pytest

from crane_bench.load.shapes import Stage, at, stages


def test_steady_holds_every_user_for_the_run() -> None:
    plan = stages("steady", 50, 10, 60)
    assert plan == [Stage(60, 50, 10)]
    assert at(plan, 0) == (50, 10)
    assert at(plan, 59.9) == (50, 10)
    assert at(plan, 60) is None


def test_step_climbs_in_five_equal_steps() -> None:
    plan = stages("step", 50, 10, 100)
    assert [s.users for s in plan] == [10, 20, 30, 40, 50]
    assert [s.until_s for s in plan] == [20, 40, 60, 80, 100]
    assert at(plan, 25) == (20, 10)


def test_spike_jumps_to_every_user_in_the_middle_fifth_then_returns() -> None:
    plan = stages("spike", 50, 5, 100)
    assert at(plan, 10) == (10, 5)
    assert at(plan, 50) == (50, 50)  # all at once
    assert at(plan, 90) == (10, 50)


def test_soak_ramps_gently_over_the_first_tenth() -> None:
    (stage,) = stages("soak", 60, 10, 3600)
    assert stage.users == 60
    assert stage.spawn_rate == pytest.approx(60 / 360)
    assert stages("soak", 60, 0.05, 3600)[0].spawn_rate == 0.05  # never faster than asked


def test_shapes_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        stages("step", 0, 1, 10)
