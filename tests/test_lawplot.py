"""ddpm_lib.lawplot draws what the law says: the exact curve and densities."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ddpm_lib.lawplot import plot_law  # noqa: E402
from ddpm_lib.samples import custom_law, get_law  # noqa: E402


def test_curve_is_the_exact_conditional_mean():
    law = get_law("quadratic")
    fig = plot_law(law, law.sample(500, seed=0))
    main = fig.axes[0]
    (curve,) = main.get_lines()
    x, y = curve.get_data()
    assert np.array_equal(y, x ** 2)
    assert len(fig.axes) == 3
    plt.close(fig)


def test_density_lines_and_fake_overlay():
    law = get_law("gaussian")
    fig = plot_law(law, law.sample(500, seed=0), fake=law.sample(300, seed=1))
    main, top, side = fig.axes
    assert len(main.collections) == 2  # real and fake scatters
    (pdf_line,) = top.get_lines()
    x, y = pdf_line.get_data()
    assert np.allclose(y, law.marginals[0].pdf(x))
    plt.close(fig)


def test_custom_law_without_closed_forms():
    law = custom_law(lambda x: [x, np.sin(3 * x)])
    fig = plot_law(law, law.sample(300, seed=0))
    assert fig.axes[0].get_lines() == []
    plt.close(fig)


def test_bad_columns():
    law = get_law("linear")
    with pytest.raises(ValueError, match=r"target must be a column index in \[0, 1\]"):
        plot_law(law, law.sample(10), target=2)
