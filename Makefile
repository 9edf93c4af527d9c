# sparkflows.mlops — the two commands of README.md are `make lab` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
SUITES ?=
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

COLLECTION_LINK := .cache/collections/ansible_collections/sparkflows/mlops

.PHONY: help venv engine images lab lab-up lab-down clean-all test sanity units lint molecule integration constraints bench mutation ee awx-jobs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv: $(VENV)/.installed $(COLLECTION_LINK) ## the pinned toolchain in .venv, this checkout linked as sparkflows.mlops

$(VENV)/.installed: requirements-dev.txt constraints.txt meta/ee-requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

engine: ## start a Docker Engine if none answers (installs Debian docker.io)
	tests/lab/engine.sh

images: engine ## build the lab images (debootstrap, cached)
	tests/lab/images.sh $(SUITES)

ee: venv engine ## build the AWX/AAP execution environment (ansible-builder; ee/build.sh, docs/awx.md)
	ee/build.sh

awx-jobs: venv images ## every job template of awx/ run as AWX runs it (transmit | worker in the EE | process) on a lab of its own
	pytest tests/integration/awx

lab-up: venv images ## start the lab hosts only
	tests/lab/lab.sh up

SAMPLE := {"columns": ["age", "plan"], "data": [[42, "gold"]]}
ENDPOINT := https://127.0.0.1:18443/predict
SCORE_CURL := curl -fsS --cacert .lab/ca/ca.crt -H "X-API-Key: $$(cat .lab/scorer-api-key)" -H 'Content-Type: application/json' -d '$(SAMPLE)' $(ENDPOINT)

lab: lab-up ## bring up the lab, run playbooks/site.yml on it, and score once
	ansible-playbook -i inventories/lab playbooks/site.yml
	@tests/lab/lab.sh status
	@echo
	@echo "Lab ready."
	@echo "  Ansible:    . $(VENV)/bin/activate && ansible -i inventories/lab all -m ping"
	@echo "  SSH:        ssh -i .lab/id_ed25519 -o UserKnownHostsFile=.lab/known_hosts -p 22220 root@127.0.0.1"
	@echo "  MLflow:     https://127.0.0.1:15000  (mlflow1's tracking server behind TLS from the lab CA; PostgreSQL stores on mlflow1)"
	@echo "              curl -s --cacert .lab/ca/ca.crt -u \"admin:\$$(cat .lab/mlflow-admin-password)\" 'https://127.0.0.1:15000/api/2.0/mlflow/experiments/search?max_results=5'"
	@echo "  Artifacts:  s3://mlflow-artifacts/mlflow  (the lab's S3, moto: http://127.0.0.1:19000, keys in .lab/s3/)"
	@echo "  Sparkflows: curl -s -H 'token: admin-token' http://127.0.0.1:18080/api/v1/configurations  (the emulator, a stand-in)"
	@echo "Endpoint:     $(ENDPOINT)  (churn-model's one URL: lb1 in front of scorer1 and scorer2, TLS from the lab CA, API key required)"
	@echo "  Score:      $(subst $$,\$$,$(subst ",\",$(SCORE_CURL)))"
	@echo "              (the scorers' own ports take connections from lb1 only)"
	@echo "  Remote:     ssh -i .lab/id_ed25519 -o UserKnownHostsFile=.lab/known_hosts -p 22319 root@127.0.0.1 \"su sparkflows -c 'ssh -i ~/.ssh/sparkflows_mlflow mlflow1 hostname'\""
	@echo "              (Sparkflows' service user on sparkflows1 reaching mlflow1 with the key remote mode gave it)"
	@echo "  Stop it:    make lab-down"
	@echo
	@echo "Scoring once with that curl:"
	@$(SCORE_CURL) && echo

lab-down: ## remove the lab hosts
	tests/lab/lab.sh down

clean-all: ## fresh-machine mode: remove the lab, the project's containers and images, and every cache
	tests/lab/clean.sh

test: venv ## every test: sanity, units, lint, molecule, integration
	tests/run-all.sh

sanity: venv ## ansible-test sanity from a temporary ansible_collections path
	tests/sanity.sh

units: venv ## unit tests
	pytest tests/unit

lint: venv ## ansible-lint, production profile
	ansible-lint --profile production

molecule: venv images ## every role's Molecule scenario (roles/<role>/molecule/default/), each from its role's directory
	tests/molecule.sh

integration: venv images ## integration tests against real services (two pytest-xdist workers, then the engine restart alone)
	tests/integration.sh

mutation: venv ## mutation testing of plugins/module_utils' decision logic (mutmut; fails under 80% killed; not in make test: docs/mutation.md)
	tests/mutation.sh

constraints: ## re-freeze constraints.txt from requirements-dev.txt
	rm -rf .cache/constraints-venv && python3 -m venv .cache/constraints-venv
	.cache/constraints-venv/bin/pip install -q -r requirements-dev.txt
	{ echo "# Frozen transitive versions for requirements-dev.txt (pip install -r requirements-dev.txt -c constraints.txt)."; \
	  echo "# Regenerate: make constraints"; .cache/constraints-venv/bin/pip freeze --exclude-editable; } > constraints.txt

BENCHMARKS := tests/bench/bench_model_fetch.py tests/bench/bench_scorer_container.py tests/bench/bench_fleet.py tests/bench/bench_lb.py tests/bench/bench_controller_cpu.py

bench: venv ## benchmarks (ratios against named baselines, measured in the same run); all run, then fail on any miss
	@failed=; for bench in $(BENCHMARKS); do echo "=== $$bench"; python $$bench || failed="$$failed $$bench"; done; \
	 if [ -n "$$failed" ]; then echo "make bench: missed targets:$$failed"; exit 1; fi; echo "make bench: every target met"
