# The two set-up commands. Each creates .venv when it is missing.
#   make run   execute the notebooks in order (outputs, data/ and figures/ refreshed)
#   make test  unit tests and pytest --nbval over the committed notebooks

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Same thread count everywhere, so that printed numbers match the committed ones.
export OMP_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0

.PHONY: run test benchmark clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[notebooks,test]"
	touch $(STAMP)

run: $(STAMP)
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False \
	    --log-level=WARN "$$nb" || exit 1; \
	  $(PY) -m jupyter nbconvert --to notebook --inplace --log-level=WARN \
	    --CoalesceStreamsPreprocessor.enabled=True "$$nb" || exit 1; \
	  $(PY) -m jupytext --sync --quiet "$$nb" || exit 1; \
	done
	@echo "validation of the origin experiment's synthetic rows (notebook 05):"
	@$(PY) -m ddpm_lib validate data/real_samples/linear.csv \
	  data/fake_samples/linear.csv --structure linear \
	  --train data/real_samples/linear.csv; \
	  status=$$?; [ $$status -le 1 ] || exit $$status

test: $(STAMP)
	$(PY) -m pytest --nbval --nbval-current-env -q

benchmark: $(STAMP)
	$(PY) benchmarks/bench_train_sample.py
	$(PY) benchmarks/bench_validation.py --power

clean-venv:
	rm -rf $(VENV)
