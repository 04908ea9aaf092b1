"""The volume band rule (expectations/volume.py): lenient first nights, median x/÷ factor."""

from __future__ import annotations

from expectations import volume


def test_first_nights_are_lenient():
    band = volume.band([500, 510])
    assert (band.min_value, band.max_value) == (0, None)
    assert "lenient" in band.rule


def test_band_is_median_times_or_divided_by_the_factor():
    band = volume.band([300, 900, 310, 290])  # median 305, one outlier does not move it
    assert (band.min_value, band.max_value) == (101, 915)
    assert band.parameters() == {"volume_min": 101, "volume_max": 915}


def test_small_medians_have_no_lower_bound():
    band = volume.band([3, 0, 5])
    assert (band.min_value, band.max_value) == (0, volume.SMALL_MEDIAN * volume.FACTOR)


def test_a_partial_night_keeps_only_the_upper_bound():
    band = volume.band([300, 300, 300], partial_tonight=True)
    assert (band.min_value, band.max_value) == (0, 900)
    assert "partial" in band.rule
