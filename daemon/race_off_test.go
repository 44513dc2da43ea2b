//go:build !race

package daemon

// dtRace is true under "go test -race" (see race_on_test.go).
const dtRace = false
