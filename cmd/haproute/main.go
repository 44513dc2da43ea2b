// Command haproute checks, formats, compiles and explains haproute routing
// configurations.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// exitError carries a process exit code.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// CLI is the command line.
type CLI struct {
	Check   CheckCmd   `cmd:"" help:"Parse and type-check a configuration."`
	Fmt     FmtCmd     `cmd:"" help:"Rewrite .hcl files in canonical format."`
	Build   BuildCmd   `cmd:"" help:"Compile a configuration into haproxy.cfg plus map and ACL files."`
	Explain ExplainCmd `cmd:"" help:"Show which route a request would take, and why higher-ranked routes did not match."`
	Plan    PlanCmd    `cmd:"" help:"Show what apply would change on a live HAProxy (exit 0: none, 2: changes, 1: error)."`
	Apply   ApplyCmd   `cmd:"" help:"Apply the configuration to a live HAProxy: runtime changes without reload where possible."`
	Run     RunCmd     `cmd:"" help:"Watch the .hcl files and hot-apply every change; supervises its own HAProxy unless --attach."`
	Version VersionCmd `cmd:"" help:"Print the version."`
}

// env is what commands read and write; tests replace it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
}

func main() {
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv}))
}

// run parses args and runs the command; it returns the exit code.
func run(args []string, e *env) int {
	var cli CLI
	exit := -1
	parser, err := kong.New(&cli,
		kong.Name("haproute"),
		kong.Description("haproute: typed HCL routing for HAProxy."),
		kong.UsageOnError(),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.Bind(e),
	)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return 2
	}
	ctx, err := parser.Parse(goFlags(args))
	if exit >= 0 {
		return exit // --help
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "haproute: %v\n", err)
		return 2
	}
	if err := ctx.Run(e); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(e.stderr, "haproute: %v\n", err)
		return 1
	}
	return 0
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run(e *env) error {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v = "devel-" + s.Value[:12]
				}
			}
		}
	}
	fmt.Fprintf(e.stdout, "haproute %s\n", v)
	return nil
}

// goFlags accepts the Go-style single-dash long flags the contract uses
// (-check, -diff, -var NAME=VALUE, -var-file FILE) by rewriting them to
// kong's double-dash form.
func goFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}
