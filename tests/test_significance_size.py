"""The report's significance test holds its false-positive rate: null simulations shaped like the
dev file (10 seeds x 723 clips; seed, clip, interaction and residual effects; paired and
unpaired seeds; clip- to seed-dominated) reject at 0.05 between 3 % and 6 % of the time.

With the earlier two-level bootstrap in its place this fails: it rejects 0 % in the paired
seed-dominated scenarios (it cannot pair seeds) and about 7 % in the unpaired seed-dominated
ones (resampling 10 seed values with replacement shrinks their spread); docs/findings.md has the table."""
import numpy as np
import pytest

from evaluate.significance import LEVEL, MEASURED_RATE
from evaluate.significance_simulation import SCENARIOS, current_test, rejection_rate

REPLICATIONS = 2_000  # Monte-Carlo standard error of a 5 % rate: 0.5 percentage points


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: f"{'paired' if s.paired else 'unpaired'}-{s.seed_sd}")
def test_false_positive_rate_is_near_five_percent(scenario):
    rng = np.random.default_rng(20261206)
    rate = rejection_rate(current_test, scenario, REPLICATIONS, rng)
    assert 0.03 <= rate <= 0.06, rate
    assert (LEVEL, MEASURED_RATE) == (0.05, (0.03, 0.06))  # what the report states


def test_power_grows_with_the_difference_and_pairing_helps_when_seeds_dominate():
    from evaluate.significance_simulation import Scenario

    rng = np.random.default_rng(1)
    unpaired, paired = Scenario(0.03, False), Scenario(0.03, True)
    small = rejection_rate(current_test, unpaired, 400, rng, effect=0.01)
    large = rejection_rate(current_test, unpaired, 400, rng, effect=0.05)
    paired_small = rejection_rate(current_test, paired, 400, rng, effect=0.01)
    assert small < large and large > 0.8
    assert paired_small > 2 * small  # correlated seed effects cancel in the paired difference
