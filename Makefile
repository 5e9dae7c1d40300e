# Two commands on a fresh machine with Python 3.11 and make:
#   make repro   build .venv from the pinned requirements if needed, then `dvc repro`
#   make test    same bootstrap, then the test suite
#   make search Q=data/sample/bird/bird_00.mp4   query the trained model with any clip (after make repro)
#   GPU=1        (with make repro) install requirements-gpu.txt's CUDA TensorFlow instead; untested here
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: repro test bench grid search clean-venv

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

repro: $(STAMP)
	dvc repro

test: $(STAMP)
	python -m pytest

bench: $(STAMP)
	python -m benchmarks.map_speed
	python -m benchmarks.train_speed
	python -m benchmarks.extract_speed
	python -m benchmarks.search_speed

search: $(STAMP)
	@test -n "$(Q)" || { echo "usage: make search Q=path/to/clip.mp4 [BY=audio|visual] [GALLERY=all|test]"; exit 2; }
	python -m pipeline.search "$(Q)" $(if $(BY),--by $(BY)) $(if $(GALLERY),--gallery $(GALLERY))

grid: $(STAMP)
	python -m pipeline.grid

clean-venv:
	rm -rf $(VENV)
