"""Property-based checks of the public interface (DESIGN.md) against malformed input.

Every public function must answer bad input with a ValueError whose message
names the problem (each test asserts on a keyword), and must never hang,
crash with another exception, or hand back NaN/inf silently: for valid finite
input the output is finite. A few valid-input properties (the closed form at
zero noise, the shape of alpha-bar) sit beside them.

The last section pins down inputs that once escaped as TypeError,
OverflowError or silent NaN/inf from the schedule, the forward process, the
sampler and the known laws.

Settings are modest (50 examples, no deadline, derandomized, no example
database) so that the file is repeatable and quick on 2 shared cores.
"""

import builtins
import pickle
import string
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ddpm_lib.checkpoint import load_checkpoint, save_checkpoint
from ddpm_lib.forward import forward_steps, q_sample
from ddpm_lib.io import read_csv, write_csv
from ddpm_lib.model import NoisePredictor
from ddpm_lib.samples import STRUCTURES, get_law, make_samples
from ddpm_lib.sampling import ddpm_sample
from ddpm_lib.scaler import Standardizer
from ddpm_lib.schedule import NoiseSchedule

FEW = settings(max_examples=50, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])
SOME = settings(FEW, max_examples=25)   # for the examples that touch files or torch.save

SCHED = NoiseSchedule.linear(10)
NAN, INF = float("nan"), float("inf")


def finite_rows(max_n=8, max_d=4, bound=1e6):
    return hnp.arrays(np.float64, st.tuples(st.integers(1, max_n), st.integers(1, max_d)),
                      elements=st.floats(-bound, bound, allow_nan=False))


@st.composite
def malformed_rows(draw):
    """(value, keyword): an input that must be refused as an (n, d) array of rows."""
    kind = draw(st.sampled_from(["ndim", "empty", "bool", "complex", "str", "object",
                                 "nonfinite", "ragged", "torch_bool", "torch_complex",
                                 "torch_nonfinite"]))
    if kind == "ndim":
        ndim = draw(st.sampled_from([0, 1, 3]))
        shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, max_side=3)) \
            if ndim else ()
        return np.zeros(shape), "2-D"
    if kind == "empty":
        return np.zeros(draw(st.sampled_from([(0, 2), (3, 0), (0, 0)]))), "at least one row"
    if kind == "bool":
        return np.ones((3, 2), dtype=bool), "real numbers"
    if kind == "complex":
        return np.ones((3, 2)) * (1 + 1j), "real numbers"
    if kind == "str":
        text = st.text(string.digits + string.ascii_letters + ".-", min_size=1, max_size=4)
        return np.array(draw(st.lists(st.lists(text, min_size=2, max_size=2),
                                      min_size=1, max_size=3))), "real numbers"
    if kind == "object":
        return np.array([[1.0, None], [2.0, 3.0]], dtype=object), "real numbers"
    if kind == "ragged":
        return [[1.0, 2.0], [3.0]], "could not be read"
    if kind == "torch_bool":
        return torch.ones(3, 2, dtype=torch.bool), "real numbers"
    if kind == "torch_complex":
        return torch.ones(3, 2, dtype=torch.complex64), "real numbers"
    x = draw(finite_rows())
    i = draw(st.integers(0, x.shape[0] - 1))
    j = draw(st.integers(0, x.shape[1] - 1))
    x[i, j] = draw(st.sampled_from([NAN, INF, -INF]))
    return (torch.from_numpy(x) if kind == "torch_nonfinite" else x), "NaN or inf"


# Values that are not a usable number / integer / name, for any argument.
JUNK = st.sampled_from([None, "3", "abc", "", b"1", 1j, object(), [], {}, (1, 2),
                        [1.0, 2.0], np.array([1, 2])])
NOT_POSITIVE_INT = st.one_of(
    st.integers(max_value=0), st.floats(allow_nan=True), st.booleans(), JUNK,
    st.integers(1, 50).map(float))


# --- q_sample and forward_steps -----------------------------------------------

@FEW
@given(malformed_rows())
def test_q_sample_refuses_malformed_x0(bad):
    x0, word = bad
    with pytest.raises(ValueError, match=word) as err:
        q_sample(x0, 0, np.zeros((3, 2)), SCHED)
    assert "x0" in str(err.value)


@FEW
@given(finite_rows(), malformed_rows())
def test_q_sample_refuses_malformed_noise(x0, bad):
    noise, word = bad
    with pytest.raises(ValueError, match=word) as err:
        q_sample(x0, 0, noise, SCHED)
    assert "noise" in str(err.value)


@FEW
@given(finite_rows(), st.tuples(st.integers(1, 8), st.integers(1, 4)))
def test_q_sample_refuses_noise_of_another_shape(x0, shape):
    assume(shape != x0.shape)
    with pytest.raises(ValueError, match="noise must have x0's shape"):
        q_sample(x0, 0, np.zeros(shape), SCHED)


BAD_T = st.one_of(
    st.integers(-2**62, -1),
    st.integers(min_value=SCHED.T, max_value=2**62),
    st.floats(allow_nan=True),
    st.booleans(),
    st.just(np.float64(2.0)),
    st.just(np.bool_(True)),
    st.lists(st.floats(0, 5), min_size=3, max_size=3).map(torch.tensor),
    st.just(torch.ones(3, dtype=torch.bool)),
    st.just(torch.zeros(3, 1, dtype=torch.int64)),      # wrong shape
    st.just(torch.zeros(4, dtype=torch.int64)),         # wrong length
    st.lists(st.integers(-5, 20), min_size=3, max_size=3).filter(
        lambda ts: min(ts) < 0 or max(ts) >= SCHED.T).map(torch.tensor),
)


@FEW
@given(BAD_T)
def test_q_sample_refuses_bad_step_index(t):
    with pytest.raises(ValueError, match=r"\bt\b"):
        q_sample(np.zeros((3, 2)), t, np.zeros((3, 2)), SCHED)


@FEW
@given(st.one_of(st.integers(max_value=-1), st.integers(SCHED.T + 1, 10**9),
                 st.floats(allow_nan=True), st.booleans(), JUNK))
def test_forward_steps_refuses_bad_num_steps(num_steps):
    with pytest.raises(ValueError, match="num_steps"):
        forward_steps(np.zeros((2, 2)), num_steps, SCHED)


@FEW
@given(malformed_rows())
def test_forward_steps_refuses_malformed_x0(bad):
    x0, word = bad
    with pytest.raises(ValueError, match=word):
        forward_steps(x0, 1, SCHED)


@FEW
@given(finite_rows(), st.integers(0, SCHED.T - 1), st.sampled_from([torch.float64,
                                                                       torch.float32]))
def test_q_sample_with_zero_noise_is_sqrt_alpha_bar_x0(x0, t, dtype):
    x = torch.as_tensor(x0, dtype=dtype)
    out = q_sample(x, t, torch.zeros_like(x), SCHED)
    expected = SCHED.alpha_bars[t].to(dtype).sqrt() * x
    assert out.dtype == dtype and out.shape == x.shape
    assert torch.equal(out, expected)


@FEW
@given(finite_rows(), st.data())
def test_q_sample_output_is_finite_and_mixes_as_documented(x0, data):
    noise = data.draw(hnp.arrays(np.float64, x0.shape,
                                 elements=st.floats(-1e6, 1e6, allow_nan=False)))
    t = data.draw(st.one_of(
        st.integers(0, SCHED.T - 1),
        st.lists(st.integers(0, SCHED.T - 1), min_size=len(x0), max_size=len(x0))
        .map(lambda ts: torch.tensor(ts, dtype=torch.int64))))
    out = q_sample(x0, t, noise, SCHED)
    assert out.shape == x0.shape and torch.isfinite(out).all()
    abar = SCHED.alpha_bars[torch.as_tensor(t).expand(len(x0))].unsqueeze(1)
    expected = abar.sqrt() * torch.from_numpy(x0) + (1 - abar).sqrt() * torch.from_numpy(noise)
    assert torch.allclose(out, expected, rtol=1e-12, atol=0)


@FEW
@given(finite_rows(), st.integers(0, SCHED.T))
def test_forward_steps_output_is_finite(x0, num_steps):
    gen = torch.Generator().manual_seed(0)
    out = forward_steps(x0, num_steps, SCHED, generator=gen)
    assert out.shape == x0.shape and torch.isfinite(out).all()
    if num_steps == 0:
        assert torch.equal(out, torch.from_numpy(x0))


# --- schedules -----------------------------------------------------------------

@FEW
@given(NOT_POSITIVE_INT, st.sampled_from(["linear", "cosine"]))
def test_schedule_refuses_bad_T(T, kind):
    with pytest.raises(ValueError, match=r"\bT\b"):
        getattr(NoiseSchedule, kind)(T)


BAD_BETA = st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0),
                     st.just(NAN), st.booleans(),
                     st.sampled_from(["0.1", None, 1j, [0.1], torch.tensor(0.1)]))


@FEW
@given(BAD_BETA, st.sampled_from(["beta_start", "beta_end"]))
def test_linear_refuses_bad_betas(value, which):
    kwargs = {"beta_start": 1e-4, "beta_end": 0.02, which: value}
    with pytest.raises(ValueError, match=which):
        NoiseSchedule.linear(10, **kwargs)


@FEW
@given(st.floats(1e-6, 0.5), st.floats(1e-6, 0.5))
def test_linear_refuses_start_above_end(a, b):
    assume(a != b)
    with pytest.raises(ValueError, match="must not exceed"):
        NoiseSchedule.linear(10, max(a, b), min(a, b))


@FEW
@given(st.one_of(st.floats(max_value=-1e-300), st.just(NAN), st.just(INF), st.booleans(),
                 st.sampled_from(["0.008", None])))
def test_cosine_refuses_bad_offset(s):
    with pytest.raises(ValueError, match=r"\bs must"):
        NoiseSchedule.cosine(10, s=s)


@FEW
@given(st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0), st.just(NAN),
                 st.booleans(), st.sampled_from(["0.5", None])))
def test_cosine_refuses_bad_max_beta(max_beta):
    with pytest.raises(ValueError, match="max_beta"):
        NoiseSchedule.cosine(10, max_beta=max_beta)


@FEW
@given(st.lists(st.floats(1e-3, 0.5), min_size=1, max_size=20), st.data())
def test_from_betas_refuses_out_of_range_or_nan(betas, data):
    i = data.draw(st.integers(0, len(betas) - 1))
    betas[i], word = data.draw(st.sampled_from([
        (0.0, r"\(0, 1\)"), (1.0, r"\(0, 1\)"), (-0.1, r"\(0, 1\)"), (1.5, r"\(0, 1\)"),
        (NAN, "finite"), (INF, "finite"), (-INF, "finite")]))
    with pytest.raises(ValueError, match=word):
        NoiseSchedule.from_betas(betas)


@pytest.mark.parametrize("betas, word", [
    ([], "non-empty"), (np.zeros((2, 2)) + 0.1, "1-D"), (0.1, "1-D"),
    ([True, True], r"\(0, 1\)"),
])
def test_from_betas_refuses_bad_shapes(betas, word):
    with pytest.raises(ValueError, match=word):
        NoiseSchedule.from_betas(betas)


@pytest.mark.parametrize("build", [
    lambda: NoiseSchedule.linear(10, beta_max=0.02),
    lambda: NoiseSchedule.cosine(10, offset=0.01),
])
def test_unknown_schedule_params_are_named(build):
    # Python itself refuses an unknown keyword (TypeError), naming it.
    with pytest.raises((TypeError, ValueError), match="beta_max|offset"):
        build()


def test_unknown_schedule_name_in_run_config():
    from ddpm_lib.pipeline import RunConfig

    with pytest.raises(ValueError, match="unknown schedule 'quadratic'"):
        RunConfig(schedule="quadratic")


def _assert_alpha_bars_shape(s):
    abar = s.alpha_bars
    assert abar.dtype == torch.float64 and abar.shape == (s.T,)
    assert (abar > 0).all() and (abar < 1).all()
    assert (abar[1:] < abar[:-1]).all()
    assert torch.equal(s.alphas, 1 - s.betas)


@FEW
@given(st.integers(1, 2000), st.floats(1e-6, 0.05), st.floats(1e-6, 0.05))
def test_linear_alpha_bars_strictly_decrease_inside_0_1(T, a, b):
    _assert_alpha_bars_shape(NoiseSchedule.linear(T, min(a, b), max(a, b)))


@FEW
@given(st.integers(1, 2000), st.floats(0, 0.5), st.floats(0.5, 0.999))
def test_cosine_alpha_bars_strictly_decrease_inside_0_1(T, s, max_beta):
    _assert_alpha_bars_shape(NoiseSchedule.cosine(T, s=s, max_beta=max_beta))


@FEW
@given(st.lists(st.floats(1e-8, 0.5), min_size=1, max_size=200))
def test_from_betas_alpha_bars_strictly_decrease_inside_0_1(betas):
    _assert_alpha_bars_shape(NoiseSchedule.from_betas(betas))


# --- ddpm_sample -----------------------------------------------------------------

def zero_eps(x, t):
    return torch.zeros_like(x)


@FEW
@given(NOT_POSITIVE_INT, st.sampled_from(["n", "dim"]))
def test_ddpm_sample_refuses_bad_sizes(value, which):
    kwargs = {"n": 3, "dim": 2, which: value}
    with pytest.raises(ValueError, match=rf"\b{which} must be"):
        ddpm_sample(zero_eps, SCHED, **kwargs)


@FEW
@given(st.one_of(st.text(max_size=12).filter(lambda v: v not in ("beta", "posterior")),
                 JUNK, st.just(np.array(["beta", "posterior"]))))
def test_ddpm_sample_refuses_unknown_variance(variance):
    with pytest.raises(ValueError, match="unknown variance"):
        ddpm_sample(zero_eps, SCHED, 3, 2, variance=variance)


@FEW
@given(st.integers(1, 5), st.integers(1, 4), hnp.array_shapes(min_dims=0, max_dims=3,
                                                              max_side=6))
def test_ddpm_sample_refuses_eps_of_wrong_shape(n, dim, shape):
    assume(shape != (n, dim))
    with pytest.raises(ValueError, match="eps_model must return a tensor of shape"):
        ddpm_sample(lambda x, t: torch.zeros(shape), SCHED, n, dim)


@FEW
@given(st.sampled_from([None, 0.0, [[0.0, 0.0]], "eps", np.zeros((3, 2))]))
def test_ddpm_sample_refuses_eps_that_is_not_a_tensor(value):
    with pytest.raises(ValueError, match="eps_model must return a tensor"):
        ddpm_sample(lambda x, t: value, SCHED, 3, 2)


@FEW
@given(st.integers(0, SCHED.T - 1), st.sampled_from([NAN, INF, -INF]),
       st.sampled_from(["beta", "posterior"]))
def test_ddpm_sample_refuses_nonfinite_eps_at_any_step(bad_step, value, variance):
    def eps(x, t):
        out = torch.zeros_like(x)
        if int(t[0]) == bad_step:
            out[0, 0] = value
        return out

    with pytest.raises(ValueError, match=f"NaN or inf at step {bad_step}"):
        ddpm_sample(eps, SCHED, 3, 2, variance=variance)


@FEW
@given(st.integers(1, 6), st.integers(1, 3), st.floats(-3, 3),
       st.sampled_from(["beta", "posterior"]), st.integers(1, 30))
def test_ddpm_sample_with_valid_models_is_finite(n, dim, gain, variance, T):
    schedule = NoiseSchedule.linear(T)
    seen = []

    def eps(x, t):  # a simple, well-behaved predictor: linear in x_t
        assert x.shape == (n, dim) and t.dtype == torch.int64 and t.shape == (n,)
        seen.append(int(t[0]))
        return gain * x / (1 + x.abs().max())

    gen = torch.Generator().manual_seed(0)
    out = ddpm_sample(eps, schedule, n, dim, generator=gen, variance=variance)
    assert out.shape == (n, dim) and torch.isfinite(out).all()
    assert seen == list(range(T - 1, -1, -1))  # every step, from T-1 down to 0


# --- make_samples / get_law -------------------------------------------------------

@FEW
@given(st.one_of(st.text(max_size=12).filter(lambda v: v not in STRUCTURES), JUNK,
                 st.sampled_from(["Linear", " linear", "linear ", "LINEAR"])))
def test_make_samples_refuses_unknown_structure(name):
    with pytest.raises(ValueError, match="unknown structure"):
        make_samples(name, 5)


@FEW
@given(st.sampled_from(sorted(STRUCTURES)),
       st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
def test_make_samples_refuses_unknown_parameter(name, param):
    import inspect

    assume(param not in inspect.signature(STRUCTURES[name]).parameters)
    assume(param not in ("n", "seed", "structure"))  # make_samples' own arguments
    with pytest.raises(ValueError, match=f"unknown parameter.*{param}"):
        make_samples(name, 5, **{param: 1.0})


@FEW
@given(st.sampled_from(sorted(STRUCTURES)), NOT_POSITIVE_INT)
def test_make_samples_refuses_bad_n(name, n):
    with pytest.raises(ValueError, match=r"\bn must be"):
        make_samples(name, n)


@FEW
@given(st.sampled_from(sorted(STRUCTURES)),
       st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.booleans(),
                 st.sampled_from(["0", None, 1j, [0]])))
def test_make_samples_refuses_bad_seed(name, seed):
    with pytest.raises(ValueError, match="seed"):
        make_samples(name, 5, seed=seed)


NONFINITE = st.sampled_from([NAN, INF, -INF])


@FEW
@given(st.data())
def test_make_samples_refuses_nonfinite_parameters(data):
    name, param, word = data.draw(st.sampled_from([
        ("linear", "slope", "slope"), ("uniform", "low", "low"), ("uniform", "high", "high"),
        ("uniform", "slope", "slope"), ("ar1", "phi", "phi"), ("ar1", "sigma", "sigma"),
        ("mixture", "sd", "sd"),
    ]))
    with pytest.raises(ValueError, match=word):
        make_samples(name, 5, **{param: data.draw(NONFINITE)})


@FEW
@given(st.data())
def test_make_samples_refuses_nonfinite_arrays(data):
    name, param, base, word = data.draw(st.sampled_from([
        ("gaussian", "mean", [0.0, 0.0], "finite"),
        ("gaussian", "cov", [[1.0, 0.5], [0.5, 1.0]], "finite"),
        ("mixture", "weights", [0.5, 0.5], "weights"),
    ]))
    arr = np.array(base, dtype=float)
    arr.flat[data.draw(st.integers(0, arr.size - 1))] = data.draw(NONFINITE)
    with pytest.raises(ValueError, match=word):
        make_samples(name, 5, **{param: arr})


@pytest.mark.parametrize("name, params, word", [
    ("linear", {"slope": 0.0}, "slope"),
    ("uniform", {"low": 1.0, "high": 1.0}, "low < high"),
    ("uniform", {"slope": -1.0}, "slope"),
    ("gaussian", {"cov": [[1.0, 2.0], [2.0, 1.0]]}, "positive definite"),
    ("gaussian", {"cov": [[1.0, 0.5], [0.4, 1.0]]}, "symmetric"),
    ("gaussian", {"cov": np.eye(3)}, "3 x 3|2 x 2"),
    ("ar1", {"phi": 1.0}, "phi"),
    ("ar1", {"d": 1}, "d >= 2"),
    ("ar1", {"d": 2.5}, r"\bd must"),
    ("mixture", {"weights": [0.5, 0.6]}, "sum to 1"),
    ("mixture", {"weights": [1.0], "means": [[0.0, 0.0], [1.0, 1.0]]}, "means"),
    ("mixture", {"sd": 0.0}, r"\bsd\b"),
])
def test_make_samples_refuses_out_of_range_parameters(name, params, word):
    with pytest.raises(ValueError, match=word):
        make_samples(name, 5, **params)


@FEW
@given(st.sampled_from(sorted(STRUCTURES)), st.integers(1, 300), st.integers(0, 2**63))
def test_make_samples_default_laws_are_finite_rows(name, n, seed):
    rows = make_samples(name, n, seed=seed)
    law = get_law(name)
    assert rows.shape == (n, law.dim) and rows.dtype == np.float64
    assert np.isfinite(rows).all()
    assert np.array_equal(rows, make_samples(name, n, seed=seed))  # seeded


# --- Standardizer -----------------------------------------------------------------

@FEW
@given(malformed_rows())
def test_standardizer_refuses_malformed_rows(bad):
    rows, word = bad
    with pytest.raises(ValueError, match=word):
        Standardizer.fit(rows)


@FEW
@given(finite_rows(max_n=20), st.data())
def test_standardizer_refuses_a_constant_column(rows, data):
    assume(rows.shape[0] >= 2)
    j = data.draw(st.integers(0, rows.shape[1] - 1))
    rows[:, j] = data.draw(st.floats(-1e6, 1e6))
    with pytest.raises(ValueError, match="is constant"):
        Standardizer.fit(rows)


@FEW
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 4)),
                  elements=st.floats(-1e300, 1e300, allow_nan=False)))
def test_standardizer_round_trip_is_finite(rows):
    assume((rows.max(axis=0) > rows.min(axis=0)).all())
    s = Standardizer.fit(rows)
    z = s.transform(rows)
    back = s.inverse(z)
    assert np.isfinite(z).all() and np.isfinite(back).all()
    tol = 1e-9 * (np.abs(s.mean) + s.scale) + 1e-320  # absolute floor for subnormals
    assert (np.abs(back - rows) <= tol).all()


@FEW
@given(st.floats(1.6e308, 1.79e308), st.sampled_from([2, 4]))
def test_standardizer_refuses_columns_that_overflow(big, n):
    # sd = sqrt(n / (n - 1)) * big > 1.797e308: not representable in float64
    rows = np.column_stack([np.resize([-big, big], n), np.arange(n, dtype=float)])
    with pytest.raises(ValueError, match="overflow"):
        Standardizer.fit(rows)


@pytest.mark.parametrize("size", [1e-300, 1e-160, 1e160, 1e300])
def test_standardizer_fits_columns_whose_squares_under_or_overflow(size):
    base = np.array([[1.0, -1.0], [2.0, 0.5], [3.0, 0.25]])
    s = Standardizer.fit(size * base)
    assert np.allclose(s.mean / size, base.mean(axis=0), rtol=1e-12, atol=0)
    assert np.allclose(s.scale / size, base.std(axis=0, ddof=1), rtol=1e-12, atol=0)
    expected = (base - base.mean(axis=0)) / base.std(axis=0, ddof=1)
    assert np.allclose(s.transform(size * base), expected, rtol=1e-12, atol=1e-12)


def test_standardizer_refuses_results_that_overflow():
    s = Standardizer(mean=np.zeros(1), scale=np.full(1, 1e-300))
    with pytest.raises(ValueError, match="overflow"):
        s.transform(np.array([[1e10]]))
    s = Standardizer(mean=np.zeros(1), scale=np.full(1, 1e300))
    with pytest.raises(ValueError, match="overflow"):
        s.inverse(np.array([[1e10]]))


@FEW
@given(finite_rows(), st.integers(1, 5))
def test_standardizer_refuses_another_width(rows, d):
    s = Standardizer(mean=np.zeros(d), scale=np.ones(d))
    assume(rows.shape[1] != d)
    with pytest.raises(ValueError, match=f"{rows.shape[1]} columns"):
        s.transform(rows)
    with pytest.raises(ValueError, match=f"{rows.shape[1]} columns"):
        s.inverse(rows)


@FEW
@given(st.one_of(JUNK, st.fixed_dictionaries({"mean": JUNK}),
                 st.fixed_dictionaries({"mean": st.just([0.0]), "scale": st.one_of(
                     JUNK, st.just([0.0]), st.just([-1.0]), st.just([NAN]),
                     st.just([1.0, 1.0]))})))
def test_standardizer_from_dict_refuses_bad_fields(d):
    with pytest.raises(ValueError, match="scaler"):
        Standardizer.from_dict(d)


# --- checkpoints ------------------------------------------------------------------

@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    torch.manual_seed(0)
    model = NoisePredictor(2, width=4, depth=1, time_dim=2)
    scaler = Standardizer.fit(np.random.default_rng(0).normal(size=(10, 2)))
    save_checkpoint(folder / "good.pt", model, scaler, NoiseSchedule.linear(5), {"a": 1})
    return folder


@SOME
@given(st.binary(max_size=2000))
def test_load_checkpoint_refuses_random_bytes(ckpt_dir, data):
    path = ckpt_dir / "random.pt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="refused|not a readable|not a ddpm_lib"):
        load_checkpoint(path)


@SOME
@given(st.data())
def test_load_checkpoint_refuses_truncated_files(ckpt_dir, data):
    good = (ckpt_dir / "good.pt").read_bytes()
    cut = data.draw(st.integers(0, len(good) - 1))
    path = ckpt_dir / "cut.pt"
    path.write_bytes(good[:cut])
    with pytest.raises(ValueError, match="refused|not a readable|not a ddpm_lib"):
        load_checkpoint(path)


class _LeavesAMark:
    """Unpickling this would create ``path``: the sign that loading ran code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (builtins.open, (self.path, "w"))


@pytest.mark.parametrize("how", ["inside_config", "inside_state_dict", "top_level",
                                 "legacy_format", "plain_pickle", "appended"])
def test_load_checkpoint_runs_no_code_from_extra_pickled_objects(ckpt_dir, how):
    mark = ckpt_dir / f"RAN_{how}"
    evil = _LeavesAMark(mark)
    path = ckpt_dir / f"evil_{how}.pt"
    payload = torch.load(ckpt_dir / "good.pt", weights_only=True)
    if how == "inside_config":
        payload["config"]["x"] = evil
    elif how == "inside_state_dict":
        payload["state_dict"]["extra"] = evil
    elif how == "top_level":
        payload = [payload, evil]
    if how == "legacy_format":
        payload["config"]["x"] = evil
        torch.save(payload, path, _use_new_zipfile_serialization=False)
    elif how == "plain_pickle":
        path.write_bytes(pickle.dumps({"format": "ddpm_lib-checkpoint"}) + pickle.dumps(evil))
    elif how == "appended":
        path.write_bytes((ckpt_dir / "good.pt").read_bytes() + pickle.dumps(evil))
    else:
        torch.save(payload, path)
    if how == "appended":  # the archive itself is whole: it loads, the tail is ignored
        assert load_checkpoint(path).config == {"a": 1}
    else:
        with pytest.raises(ValueError, match="refused"):
            load_checkpoint(path)
    assert not mark.exists()


_T_NAN, _T_INF = torch.tensor([NAN, 0.0]), torch.tensor([INF, 0.0])
TAMPER = [  # (where in the payload, value put there, word the error must hold)
    *[(("format",), v, "not a ddpm_lib checkpoint") for v in (None, "x", 1, "ddpm_lib")],
    *[(("format_version",), v, "format") for v in (None, 0, 2, "1", 1.5)],
    *[(("library_version",), v, "library_version") for v in (None, 1, 0.1, ["0.1.0"])],
    *[(("model_config",), v, "model_config|inconsistent") for v in (None, [], "x", 1, {})],
    *[(("model_config", k), v, "inconsistent") for k in ("dim", "width", "depth", "time_dim")
      for v in (None, "4", -1, 0, 3, 5, 2.0, True, 10**12, torch.tensor(4))],
    *[(("state_dict",), v, "state_dict|inconsistent") for v in (None, [], {}, "x")],
    *[(("state_dict", "out.bias"), v, "inconsistent")
      for v in (None, 1.0, torch.zeros(7), torch.zeros(2, dtype=torch.int64),
                torch.zeros(2, dtype=torch.complex64), _T_NAN, _T_INF, torch.zeros(2, 1))],
    *[(("scaler",), v, "scaler|inconsistent") for v in (None, [], {}, "x")],
    *[(("scaler", "scale"), v, "inconsistent")
      for v in (None, "x", 0.0, [0.0, 1.0], [1.0], [-1.0, 1.0], [NAN, 1.0], [1.0, 2.0, 3.0],
                torch.zeros(2), [[1.0, 1.0]])],
    *[(("scaler", "mean"), v, "inconsistent") for v in (None, [INF, 0.0], [0.0], "x")],
    *[(("schedule",), v, "schedule|inconsistent") for v in (None, [], {}, "x")],
    *[(("schedule", "betas"), v, "inconsistent")
      for v in (None, [], [0.0], [1.0], [NAN], torch.tensor([0.5, 1.5]), "x",
                torch.zeros(2, 2) + 0.1)],
    *[(("config",), v, "config") for v in (None, [], "x", 1)],
    (("config", "a"), torch.zeros(2), "plain values"),
]


@pytest.mark.parametrize("where, value, word", TAMPER,
                         ids=[f"{'.'.join(w)}={type(v).__name__}{i}"
                              for i, (w, v, _) in enumerate(TAMPER)])
def test_load_checkpoint_refuses_tampered_fields(ckpt_dir, where, value, word):
    payload = torch.load(ckpt_dir / "good.pt", weights_only=True)
    target = payload
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    path = ckpt_dir / "tampered.pt"
    torch.save(payload, path)
    with pytest.raises(ValueError, match=word):
        load_checkpoint(path)


@pytest.mark.parametrize("field, value", [
    (("model_config", "width"), 10**9),      # would need terabytes if built
    (("model_config", "depth"), 10**7),      # would take minutes if built
])
def test_load_checkpoint_refuses_huge_models_without_building_them(ckpt_dir, field, value):
    payload = torch.load(ckpt_dir / "good.pt", weights_only=True)
    payload[field[0]][field[1]] = value
    torch.save(payload, ckpt_dir / "huge.pt")
    with pytest.raises(ValueError, match="inconsistent"):
        load_checkpoint(ckpt_dir / "huge.pt")


PLAIN = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8)
NOT_PLAIN = st.sampled_from([object(), {1, 2}, b"bytes", np.int64(1), np.zeros(2),
                             torch.zeros(2), 1j, Path("x"), {1: "int key"}])


@SOME
@given(st.dictionaries(st.text(max_size=5), PLAIN, max_size=3), NOT_PLAIN,
       st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=3))
def test_save_checkpoint_refuses_config_that_is_not_plain(ckpt_dir, config, bad, keys):
    torch.manual_seed(0)
    model = NoisePredictor(2, width=4, depth=1, time_dim=2)
    scaler = Standardizer(mean=np.zeros(2), scale=np.ones(2))
    node = config
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node.get(key), dict) or key not in node \
            else node
    node[keys[-1]] = bad
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.pt"
        with pytest.raises(ValueError, match="plain values|keys must be strings"):
            save_checkpoint(path, model, scaler, NoiseSchedule.linear(5), config)
        assert list(Path(folder).iterdir()) == []  # nothing written, no temporary left


@SOME
@given(st.dictionaries(st.text(max_size=5), PLAIN, max_size=3))
def test_checkpoint_round_trips_plain_config(ckpt_dir, config):
    torch.manual_seed(0)
    model = NoisePredictor(2, width=4, depth=1, time_dim=2)
    scaler = Standardizer(mean=np.zeros(2), scale=np.ones(2))
    path = ckpt_dir / "plain.pt"
    save_checkpoint(path, model, scaler, NoiseSchedule.linear(5), config)
    assert load_checkpoint(path).config == config


def test_save_checkpoint_refuses_wrong_parts(ckpt_dir):
    model = NoisePredictor(2, width=4, depth=1, time_dim=2)
    scaler = Standardizer(mean=np.zeros(2), scale=np.ones(2))
    s = NoiseSchedule.linear(5)
    for args, word in [((None, scaler, s, {}), "model"), ((model, None, s, {}), "scaler"),
                       ((model, scaler, "linear", {}), "schedule"),
                       ((model, scaler, s, [1, 2]), "config"),
                       ((model, scaler, s, "ab"), "config")]:
        with pytest.raises(ValueError, match=word):
            save_checkpoint(ckpt_dir / "parts.pt", *args)
    loop = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="nested"):
        save_checkpoint(ckpt_dir / "parts.pt", model, scaler, s, loop)
    with torch.no_grad():
        model.out.bias[0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        save_checkpoint(ckpt_dir / "parts.pt", model, scaler, s, {})
    assert not (ckpt_dir / "parts.pt").exists()


# --- read_csv ---------------------------------------------------------------------

@FEW
@given(st.text(max_size=300))
def test_read_csv_random_text_is_rows_or_a_value_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_text(text, encoding="utf-8")
        try:
            rows, header = read_csv(path)
        except ValueError as err:
            assert str(path) in str(err)  # the message names the file
            return
    assert rows.ndim == 2 and rows.shape[0] >= 1 and rows.shape[1] == len(header)
    assert np.isfinite(rows).all()


CSV_CHARS = st.sampled_from(list("0123456789.,-+eE \n\r\"naifNIx_\t\x00"))


@FEW
@given(st.lists(CSV_CHARS, max_size=200).map("".join),
       st.sampled_from(["x1,x2\n", "a\n", ""]))
def test_read_csv_csv_like_noise_is_rows_or_a_value_error(noise, prefix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_text(prefix + noise, encoding="utf-8")
        try:
            rows, header = read_csv(path)
        except ValueError as err:
            assert str(path) in str(err)
            return
    assert rows.shape[1] == len(header) and np.isfinite(rows).all()


@FEW
@given(st.binary(max_size=300))
def test_read_csv_random_bytes_is_rows_or_a_value_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(data)
        try:
            rows, _ = read_csv(path)
        except ValueError as err:
            assert str(path) in str(err)
            return
    assert np.isfinite(rows).all()


@FEW
@given(finite_rows(bound=1e300), st.data())
def test_read_csv_names_the_line_and_column_of_a_bad_cell(rows, data):
    i = data.draw(st.integers(0, rows.shape[0] - 1))
    j = data.draw(st.integers(0, rows.shape[1] - 1))
    cell, word = data.draw(st.sampled_from([
        ("abc", "is not a number"), ("", "is not a number"), ("1,5", "cells"),
        ("nan", "not a finite number"), ("-inf", "not a finite number"),
        ("1e999", "not a finite number"), ("0x10", "is not a number")]))
    # In a one-column file an empty cell is a blank line, which CSV readers skip.
    assume(not (cell == "" and rows.shape[1] == 1))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        write_csv(path, rows)
        lines = path.read_text().splitlines()
        cells = lines[i + 1].split(",")
        cells[j] = cell
        lines[i + 1] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(ValueError, match=word) as err:
            read_csv(path)
    assert f"line {i + 2}" in str(err.value)
    if word != "cells":
        assert f"'x{j + 1}'" in str(err.value)


@FEW
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)),
                  elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_csv_round_trip_is_exact(rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        write_csv(path, rows)
        back, header = read_csv(path)
    assert header == [f"x{j + 1}" for j in range(rows.shape[1])]
    assert np.array_equal(back, rows)


@pytest.mark.parametrize("content, word", [
    ("", "empty"), ("x1,x2\n", "no data rows"), ("1,2\n3,4\n", "header"),
    ("x\n" + "1" * 200_000 + "\n", "not a readable CSV"),
    (b"\xff\xfe\x00x", "not a text CSV"),
])
def test_read_csv_bad_files(tmp_path, content, word):
    path = tmp_path / "f.csv"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    with pytest.raises(ValueError, match=word):
        read_csv(path)
    with pytest.raises(ValueError, match="folder"):
        read_csv(tmp_path)
    with pytest.raises(ValueError, match="no such file"):
        read_csv(tmp_path / "missing.csv")


def test_read_csv_keeps_nonfinite_cells_only_when_asked(tmp_path):
    (tmp_path / "f.csv").write_text("x1,x2\n1,nan\ninf,-inf\n")
    with pytest.raises(ValueError, match="line 2, column 'x2': nan is not a finite"):
        read_csv(tmp_path / "f.csv")
    rows, _ = read_csv(tmp_path / "f.csv", allow_nonfinite=True)
    assert np.isnan(rows[0, 1]) and rows[1].tolist() == [INF, -INF]


def test_read_csv_ignores_a_byte_order_mark(tmp_path):
    (tmp_path / "bom.csv").write_text("\ufeffx1,x2\n1,2\n", encoding="utf-8")
    rows, header = read_csv(tmp_path / "bom.csv")
    assert header == ["x1", "x2"] and rows.tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize("header, word", [
    (["a,b", "c"], "comma"), (["a\nb", "c"], "line break"), (['a"', "c"], "quote"),
    ([1, 2], "strings"), ("ab", "strings"), (["a"], "1 names for 2 columns"),
])
def test_write_csv_refuses_headers_that_would_break_the_file(tmp_path, header, word):
    with pytest.raises(ValueError, match=word):
        write_csv(tmp_path / "h.csv", [[1.0, 2.0]], header)
    assert list(tmp_path.iterdir()) == []


# --- schedule, forward, sampling, samples: inputs that once slipped through ---

@pytest.mark.parametrize("betas", ["abc", None, np.array([0.1, None]), {"a": 0.1},
                                   [[0.1], [0.1, 0.2]]])
def test_from_betas_non_numeric_is_a_value_error(betas):
    with pytest.raises(ValueError, match="betas"):
        NoiseSchedule.from_betas(betas)


@pytest.mark.filterwarnings("ignore:Casting complex values")
def test_from_betas_refuses_complex():
    with pytest.raises(ValueError, match="real"):
        NoiseSchedule.from_betas(np.array([0.1 + 1j, 0.2]))


@pytest.mark.parametrize("build", [lambda: NoiseSchedule.from_betas([1e-20, 0.5]),
                                   lambda: NoiseSchedule.cosine(10, max_beta=1e-300)])
def test_betas_too_small_for_float64_are_refused(build):
    with pytest.raises(ValueError, match="beta"):
        build()


@pytest.mark.parametrize("build", [lambda: NoiseSchedule.linear(1000, 0.5, 0.9),
                                   lambda: NoiseSchedule.from_betas([0.99] * 200)])
def test_alpha_bars_that_underflow_are_refused(build):
    with pytest.raises(ValueError, match="alpha_bar|underflow"):
        build()


@pytest.mark.parametrize("t", ["3", None, object(), 2**70, -2**70, [1, "a", 3]])
def test_q_sample_odd_step_types_are_value_errors(t):
    with pytest.raises(ValueError, match=r"\bt\b"):
        q_sample(np.zeros((3, 2)), t, np.zeros((3, 2)), SCHED)


@pytest.mark.parametrize("x, t", [(torch.full((2, 2), 60000.0, dtype=torch.float16), 300),
                                  (torch.full((2, 2), 1.5e308, dtype=torch.float64), 500)])
def test_q_sample_overflow_is_reported(x, t):
    with pytest.raises(ValueError, match="overflow"):
        q_sample(x, t, x.clone(), NoiseSchedule.linear(1000))


@pytest.mark.filterwarnings("ignore:Casting complex values")
@pytest.mark.parametrize("dtype", [torch.complex64, torch.bool])
def test_ddpm_sample_refuses_eps_of_non_real_dtype(dtype):
    with pytest.raises(ValueError, match="eps_model"):
        ddpm_sample(lambda x, t: torch.zeros(x.shape, dtype=dtype), SCHED, 3, 2)


@pytest.mark.parametrize("x_T", [torch.full((3, 2), float("nan")), "ab",
                                 torch.zeros(3, 2, dtype=torch.complex64)])
def test_ddpm_sample_refuses_bad_x_T(x_T):
    with pytest.raises(ValueError, match="x_T"):
        ddpm_sample(zero_eps, SCHED, 3, 2, x_T=x_T)


def test_ddpm_sample_overflowing_chain_is_reported():
    with pytest.raises(ValueError, match="overflow"):
        ddpm_sample(lambda x, t: torch.full_like(x, 3e38), NoiseSchedule.linear(1000), 3, 2)


@pytest.mark.parametrize("steps", [["a"], [SCHED.T + 5], [-1], [1.5]])
def test_ddpm_sample_refuses_bad_record_steps(steps):
    with pytest.raises(ValueError, match="record_steps"):
        ddpm_sample(zero_eps, SCHED, 3, 2, record_steps=steps)


@pytest.mark.parametrize("name, param, value", [
    *[(name, param, value) for name, param in [("linear", "slope"), ("uniform", "low"),
                                               ("ar1", "phi"), ("mixture", "sd")]
      for value in (None, "abc", 1j)],
    ("gaussian", "cov", "abc"), ("gaussian", "cov", 1j),
    ("mixture", "weights", "abc"), ("mixture", "weights", 1j),
])
def test_make_samples_names_non_numeric_parameters(name, param, value):
    with pytest.raises(ValueError, match=param):
        make_samples(name, 5, **{param: value})


@pytest.mark.parametrize("name, params", [
    ("linear", {"slope": 1e308}), ("uniform", {"low": -1e308, "high": 1e308}),
    ("ar1", {"sigma": 1e308}),
    ("mixture", {"means": [[1e308, 1e308], [-1e308, -1e308]], "sd": 1e308})])
def test_make_samples_refuses_parameters_that_overflow(name, params):
    with pytest.raises(ValueError, match="|".join(params)):
        make_samples(name, 100, **params)


def test_make_samples_refuses_empty_gaussian():
    with pytest.raises(ValueError, match="mean"):
        make_samples("gaussian", 5, mean=[], cov=np.zeros((0, 0)))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_make_samples_refuses_nonfinite_mixture_means(value):
    with pytest.raises(ValueError, match="means"):
        make_samples("mixture", 5, means=[[value, -2.0], [2.0, 2.0]])


@pytest.mark.parametrize("generator", [0, np.random.default_rng(0), "seed"])
@pytest.mark.parametrize("call", [
    lambda g: forward_steps(np.zeros((2, 2)), 1, SCHED, generator=g),
    lambda g: ddpm_sample(zero_eps, SCHED, 3, 2, generator=g),
], ids=["forward_steps", "ddpm_sample"])
def test_a_generator_that_is_not_torchs_is_refused(call, generator):
    with pytest.raises(ValueError, match="generator must be a torch.Generator"):
        call(generator)


@pytest.mark.parametrize("schedule", [None, "linear", SCHED.betas, {"betas": [0.1]}])
def test_a_schedule_that_is_not_a_noise_schedule_is_refused(schedule):
    x = np.zeros((3, 2))
    for call in (lambda: q_sample(x, 0, x, schedule), lambda: forward_steps(x, 1, schedule),
                 lambda: ddpm_sample(zero_eps, schedule, 3, 2)):
        with pytest.raises(ValueError, match="schedule must be a NoiseSchedule"):
            call()


@pytest.mark.parametrize("t", [np.uint64(2**63), np.full(3, 2**63, dtype=np.uint64),
                               torch.full((3,), 2**63, dtype=torch.uint64)],
                         ids=["numpy_scalar", "numpy_array", "torch_tensor"])
def test_q_sample_reports_unsigned_steps_as_they_are(t):
    with pytest.raises(ValueError, match=rf"t must lie in \[0, 9\] \(0-based\), got {2**63}$"):
        q_sample(np.zeros((3, 2)), t, np.zeros((3, 2)), SCHED)


def test_make_samples_refuses_a_bool_slope():
    with pytest.raises(ValueError, match="slope must be a real number"):
        make_samples("linear", 5, slope=True)
