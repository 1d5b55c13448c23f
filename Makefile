# Shortcuts; the scripts are the source of truth.
.PHONY: build test demo testdata
build:
	go build -o bin/hsdecode ./cmd/hsdecode
test:
	bash scripts/test.sh
demo:
	bash scripts/demo.sh
testdata:
	bash scripts/make-testdata.sh
