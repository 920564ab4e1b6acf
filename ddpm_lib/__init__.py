"""ddpm_lib: the code behind the DDPM sample-generation tutorial.

One module per idea, each readable top to bottom:

======================  ==========================================================
``samples``             real rows from laws we know exactly (the origin's ``func``)
``lawplot``             a law's rows drawn with its exact curve and densities
``schedule``            betas, alphas and the compounded alpha-bar
``forward``             the noising process: one-step recursion and closed form
``gaussian``            exact Gaussian laws of x_t, KL and W2 distances
``scaler``              per-column standardization, stored and inverted
``model``               the MLP noise predictor with a sinusoidal time embedding
``training``            the noise-prediction loss and the origin's stop rule
``sampling``            the reverse (ancestral) DDPM sampler
``oracle``              the exact optimal noise predictor for Gaussian data
``validation``          is the distribution preserved, are dependencies preserved?
``validation_stats``    the statistics behind each check, one function each
``validation_figures``  the figures of the validation protocol
``checkpoint``          weights and plain values only, never pickled code
``pipeline``            the origin experiment end to end (``python -m ddpm_lib run``)
``experiments``         the runs behind notebook 07 (``python -m ddpm_lib experiments``)
======================  ==========================================================
"""

__version__ = "0.1.0"
