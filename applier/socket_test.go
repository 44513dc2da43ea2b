package applier_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproute/haproute/applier"
)

// Answers of the master's "show proc" from HAProxy 2.6.12 (Debian
// bookworm), byte for byte, including the padding after "<version>".
const (
	// After start-up.
	uShowProcStart = "#<PID>          <type>          <reloads>       <uptime>        <version>      \n" +
		"6252            master          0 [failed: 0]   0d00h00m12s     2.6.12-1+deb12u4\n" +
		"# workers\n" +
		"6273            worker          0               0d00h00m11s     2.6.12-1+deb12u4\n" +
		"# programs\n\n"
	// After a successful reload while the old worker still serves a
	// long TCP connection.
	uShowProcReloaded = "#<PID>          <type>          <reloads>       <uptime>        <version>      \n" +
		"32130           master          1 [failed: 0]   0d00h00m07s     2.6.12-1+deb12u4\n" +
		"# workers\n" +
		"32560           worker          0               0d00h00m01s     2.6.12-1+deb12u4\n" +
		"# old workers\n" +
		"32131           worker          1               0d00h00m07s     2.6.12-1+deb12u4\n" +
		"# programs\n\n"
	// After a second reload with an invalid configuration: the workers
	// are unchanged (their reload counters moved) and the failure counts.
	uShowProcFailed = "#<PID>          <type>          <reloads>       <uptime>        <version>      \n" +
		"32130           master          2 [failed: 1]   0d00h00m09s     2.6.12-1+deb12u4\n" +
		"# workers\n" +
		"32560           worker          1               0d00h00m03s     2.6.12-1+deb12u4\n" +
		"# old workers\n" +
		"32131           worker          2               0d00h00m09s     2.6.12-1+deb12u4\n" +
		"# programs\n\n"
)

func TestParseShowProc(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      applier.Proc
	}{
		{"start", uShowProcStart, applier.Proc{MasterPID: 6252, Workers: []int{6273}}},
		{"start without trailing newlines", strings.TrimRight(uShowProcStart, "\n"), applier.Proc{MasterPID: 6252, Workers: []int{6273}}},
		{"start with CRLF", strings.ReplaceAll(uShowProcStart, "\n", "\r\n"), applier.Proc{MasterPID: 6252, Workers: []int{6273}}},
		{"old workers", uShowProcReloaded, applier.Proc{MasterPID: 32130, Reloads: 1, Workers: []int{32560}, Old: []int{32131}}},
		{"failed reload", uShowProcFailed, applier.Proc{MasterPID: 32130, Reloads: 2, Failed: 1, Workers: []int{32560}, Old: []int{32131}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applier.ParseShowProc(tc.out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("ParseShowProc (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "Unknown command.\n", "# workers\n6273            worker          0               0d00h00m11s     2.6.12\n"} {
		if p, err := applier.ParseShowProc(bad); err == nil {
			t.Errorf("ParseShowProc(%q) = %+v, want an error", bad, p)
		}
	}
}

// uCLIWords splits one command line the way HAProxy's CLI does: words are
// separated by spaces or tabs, ';' ends a command, and a backslash makes
// the next character literal. It returns the commands' words.
func uCLIWords(line string) [][]string {
	var cmds [][]string
	var words []string
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		case c == ' ' || c == '\t':
			flush()
		case c == ';':
			flush()
			cmds = append(cmds, words)
			words = nil
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return append(cmds, words)
}

func TestArg(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a.test", "a.test"},
		{"/etc/haproute/main.routes.p0.host.all.map", "/etc/haproute/main.routes.p0.host.all.map"},
		{"a b", `a\ b`},
		{"a;b", `a\;b`},
		{`a\b`, `a\\b`},
		{"a\tb", "a\\\tb"},
		{`; \`, `\;\ \\`},
		{"", ""},
		{"é ü", `é\ ü`},
	} {
		if got := applier.Arg(tc.in); got != tc.want {
			t.Errorf("Arg(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Escaped arguments reach HAProxy as one word each, and a ';' inside
	// one cannot start another command.
	for _, v := range []string{"plain", "a b", "x;del map /m k", `\`, `\;`, "tab\there", "trailing\\", " lead"} {
		line := "add map " + applier.Arg("/d/x y.map") + " " + applier.Arg(v) + " " + applier.Arg(v+"v")
		got := uCLIWords(line)
		want := [][]string{{"add", "map", "/d/x y.map", v, v + "v"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q splits differently (-want +got):\n%s", line, diff)
		}
	}
}
