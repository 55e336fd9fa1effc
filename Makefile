.DEFAULT_GOAL := help
VENV := .venv/bin

.PHONY: help fmt lint type test test-unit conformance bench protocol docs

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

fmt: ## Format the code and apply safe lint fixes
	$(VENV)/ruff format src tests tools bench examples
	$(VENV)/ruff check --fix src tests tools bench examples

lint: ## ruff (lint + format check) and the import-linter contracts
	$(VENV)/ruff check src tests tools bench examples
	$(VENV)/ruff format --check src tests tools bench examples
	$(VENV)/lint-imports

type: ## mypy --strict on src and tools
	$(VENV)/mypy

test: ## Everything CI runs (./scripts/test.sh: setup, lint, types, all tests)
	./scripts/test.sh

test-unit: ## Unit tests only, in parallel
	$(VENV)/pytest tests/unit -n auto

conformance: ## Real Kafka clients against kaspar and tansu
	$(VENV)/pytest tests/conformance

bench: ## Every benchmark, kaspar vs its peers in one run: bench/RESULTS.md and bench/plots (--quick: make bench ARGS=--quick)
	$(VENV)/python -m bench $(ARGS)

protocol: ## Regenerate src/kaspar/protocol/messages from the Kafka JSON specs
	$(VENV)/python -m tools.protocol_codegen

docs: ## Build the docs (nothing to build yet: docs/ is plain Markdown)
	@echo "docs/ is plain Markdown for now; start with docs/architecture.md"
