import numpy as np
import pytest

from ddpm_lib.scaler import Standardizer


def test_round_trip_gives_back_the_rows():
    rows = np.random.default_rng(3).normal([5.0, -2.0], [3.0, 0.01], size=(500, 2))
    s = Standardizer.fit(rows)
    z = s.transform(rows)
    # Standardized columns: mean 0 and sd 1 by construction (ddof=1).
    assert np.allclose(z.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(z.std(axis=0, ddof=1), 1, atol=1e-12)
    assert np.allclose(s.inverse(z), rows, rtol=0, atol=1e-12)


def test_dict_round_trip():
    s = Standardizer.fit(np.arange(12.0).reshape(6, 2))
    s2 = Standardizer.from_dict(s.to_dict())
    assert np.array_equal(s.mean, s2.mean) and np.array_equal(s.scale, s2.scale)


def test_nothing_is_clamped():
    s = Standardizer(mean=np.zeros(1), scale=np.ones(1))
    assert s.inverse(np.array([[50.0]]))[0, 0] == 50.0


@pytest.mark.parametrize("rows, match", [
    (np.ones((10, 2)), "constant"),
    (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN"),
    (np.ones(10), "2-D"),
    (np.ones((1, 2)), "at least 2 rows"),
])
def test_bad_rows(rows, match):
    with pytest.raises(ValueError, match=match):
        Standardizer.fit(rows)


def test_wrong_width():
    s = Standardizer.fit(np.random.default_rng(0).normal(size=(10, 2)))
    with pytest.raises(ValueError, match="3 columns"):
        s.transform(np.zeros((4, 3)))
