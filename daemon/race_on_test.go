//go:build race

package daemon

// dtRace is true under "go test -race": the haproute binary the
// integration tests run is then built with -race as well, so data races in
// the daemon's goroutines (sync loop, HTTP handlers, supervisor, watcher)
// are reported too.
const dtRace = true
