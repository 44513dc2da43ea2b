# The two commands of the README.
.PHONY: run test build

run:
	scripts/run.sh

test:
	scripts/test.sh

build:
	go build -o bin/haproute ./cmd/haproute
