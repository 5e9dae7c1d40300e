# Two commands on a fresh machine with Python 3.11 and make:
#   make repro   build .venv from the pinned requirements if needed, then `dvc repro`
#   make test    same bootstrap, then the test suite
#   make help    every target, one line each
#   GPU=1        (with make repro) install requirements-gpu.txt's CUDA TensorFlow instead; untested here
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help repro test bench grid search deps plots exps clean-venv

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 24

$(STAMP): requirements.txt requirements-gpu.txt Makefile
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
ifdef GPU
	grep -v '^tensorflow-cpu' requirements.txt > $(VENV)/requirements-gpu-base.txt
	$(VENV)/bin/python -m pip install --quiet -r $(VENV)/requirements-gpu-base.txt -r requirements-gpu.txt
else
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt
endif
	$(VENV)/bin/python -m pip install --quiet --no-deps tensorflow-hub==0.16.1 tf-keras==2.21.0
	touch $(STAMP)

repro: $(STAMP)  ## build .venv if needed, update the code listings (make deps), then dvc repro (the bundled sample by default)
	python -m pipeline.deps
	dvc repro

test: $(STAMP)  ## ruff (ruff.toml), then the test suite (5–6½ minutes here at idle, two xdist workers)
	ruff check .
	python -m pytest

bench: $(STAMP)  ## the benchmarks: each prints ratios against a reference measured in the same run
	python -m benchmarks.map_speed
	python -m benchmarks.train_speed
	python -m benchmarks.fanout_speed
	python -m benchmarks.extract_speed
	python -m benchmarks.search_speed

search: $(STAMP)  ## query the trained model: Q=clip-or-id [TOP=n] [BY=audio|visual] [GALLERY=all|test]
	@test -n "$(Q)" || { echo "usage: make search Q=path/to/clip.mp4 [TOP=n] [BY=audio|visual] [GALLERY=all|test]"; exit 2; }
	python -m pipeline.search "$(Q)" $(if $(TOP),--top $(TOP)) $(if $(BY),--by $(BY)) $(if $(GALLERY),--gallery $(GALLERY))

plots: $(STAMP)  ## draw dvc.yaml's plots to dvc_plots/index.html (opens offline) [REVS="HEAD exp-name"]
	python -m pipeline.plots $(REVS)

exps: $(STAMP)  ## dvc exp show in 120 columns: the changed parameters, validation MAP and test MAP of each experiment
	dvc exp show --no-pager --only-changed --keep 'models/train_summary.json:val_map_average|map_average' \
	  --drop '.*/|trained_with|computed_with|loss_|.*_to_|class_|pair_|median_|ap_per_class|train_seconds|step|epochs|Created'

deps: $(STAMP)  ## rewrite the code dependencies of every stage in dvc.yaml from its imports
	python -m pipeline.deps

grid: $(STAMP)  ## alpha x beta grid: 25 EICS fits, the chosen point as a DVC experiment -> results/grid.*
	python -m pipeline.alpha_beta_grid

clean-venv:  ## remove .venv
	rm -rf $(VENV)
