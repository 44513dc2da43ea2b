package applier

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds every socket command.
const DefaultTimeout = 5 * time.Second

// RuntimeAPI is a connection to HAProxy's stats socket (RuntimeAPI API) in
// interactive ("prompt") mode: many commands on one connection, each
// answer ending with the prompt.
type RuntimeAPI struct {
	path    string
	timeout time.Duration
	conn    net.Conn
	rd      *bufio.Reader
	// Sent counts the commands sent.
	Sent int
}

// DialRuntime connects to the stats socket at path.
func DialRuntime(ctx context.Context, path string, timeout time.Duration) (*RuntimeAPI, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("runtime socket %s: %w (is HAProxy running with 'stats socket %s ... level admin'?)", path, err, path)
	}
	rt := &RuntimeAPI{path: path, timeout: timeout, conn: conn, rd: bufio.NewReaderSize(conn, 64*1024)}
	if _, err := rt.roundTrip("prompt"); err != nil {
		conn.Close()
		return nil, err
	}
	rt.Sent = 0
	return rt, nil
}

// Close closes the connection.
func (rt *RuntimeAPI) Close() error { return rt.conn.Close() }

// ErrTimeout is returned when HAProxy does not answer in time.
var ErrTimeout = errors.New("no answer from HAProxy before the timeout")

func (rt *RuntimeAPI) roundTrip(cmd string) (string, error) {
	if strings.ContainsAny(cmd, "\n") && !strings.Contains(cmd, "<<") {
		return "", fmt.Errorf("runtime command %q contains a newline", cmd)
	}
	_ = rt.conn.SetDeadline(time.Now().Add(rt.timeout))
	if _, err := rt.conn.Write([]byte(cmd + "\n")); err != nil {
		return "", fmt.Errorf("runtime socket %s: %w", rt.path, err)
	}
	rt.Sent++
	// Each command of the line is answered, and each answer ends with the
	// prompt "> " (no newline), normally after a blank line; some answers
	// have no blank line (2.6 "del server" sends "Server deleted.\n> "),
	// so read until as many prompts as commands end what arrived.
	want := prompts(cmd)
	var b strings.Builder
	buf := make([]byte, 32*1024)
	for {
		n, err := rt.rd.Read(buf)
		b.Write(buf[:n])
		if s := b.String(); rt.rd.Buffered() == 0 && (s == "> " || strings.HasSuffix(s, "\n> ")) &&
			strings.Count("\n"+s, "\n> ") >= want {
			return answers(s), nil
		}
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return b.String(), fmt.Errorf("runtime socket %s: command %q: %w", rt.path, cmd, ErrTimeout)
		}
		return b.String(), fmt.Errorf("runtime socket %s: command %q: %w", rt.path, cmd, err)
	}
}

// prompts is the number of answers a command line gets: one per command,
// commands being separated by an unescaped ';' (the payload after "<<" is
// not split).
func prompts(cmd string) int {
	line, _, _ := strings.Cut(cmd, "\n")
	n := 1
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case ';':
			n++
		}
	}
	return n
}

// answers joins the answers of one command line without the prompts: the
// "> " ending each answer and the "+ " HAProxy writes for each payload line.
func answers(s string) string {
	var out []string
	for _, a := range strings.Split(strings.TrimPrefix(s, "> "), "\n> ") {
		for strings.HasPrefix(a, "+ ") {
			a = a[2:]
		}
		if a = strings.TrimSuffix(a, "\n"); a != "" {
			out = append(out, a)
		}
	}
	return strings.Join(out, "\n")
}

// Do sends one command and returns HAProxy's answer (without the prompt).
func (rt *RuntimeAPI) Do(cmd string) (string, error) {
	out, err := rt.roundTrip(cmd)
	return strings.TrimRight(out, "\n"), err
}

// Exec sends a command that answers nothing on success; any text in the
// answer is reported as an error together with the command.
func (rt *RuntimeAPI) Exec(cmd string) error {
	out, err := rt.Do(cmd)
	if err != nil {
		return err
	}
	if out = strings.TrimSpace(out); out != "" && !benign(out) {
		return &CommandError{Command: cmd, Answer: out}
	}
	return nil
}

// benign reports answers that mean success.
func benign(out string) bool {
	for _, ok := range []string{"Done.", "New server registered.", "Server deleted."} {
		if out == ok {
			return true
		}
	}
	// "set server ... addr" reports what changed: "IP changed from 'A'
	// to 'B', no need to change the port by 'stats socket command'".
	return strings.HasPrefix(out, "New version created:") || strings.HasSuffix(out, " by 'stats socket command'")
}

// CommandError is a runtime command HAProxy refused.
type CommandError struct {
	Command string
	Answer  string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("HAProxy refused %q: %s", e.Command, e.Answer)
}

// Arg escapes one argument of a runtime command: the CLI splits on spaces
// and ';' and reads backslash escapes.
func Arg(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', ';', ' ', '\t':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Master is HAProxy's master CLI socket (master-worker mode).
type Master struct {
	Path    string
	Timeout time.Duration
}

// Do sends one command to the master and returns the answer.
func (m *Master) Do(ctx context.Context, cmd string) (string, error) {
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "unix", m.Path)
	if err != nil {
		return "", fmt.Errorf("master socket %s: %w (is HAProxy running in master-worker mode with -S %s?)", m.Path, err, m.Path)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte(cmd + ";quit\n")); err != nil {
		return "", fmt.Errorf("master socket %s: %w", m.Path, err)
	}
	var b strings.Builder
	buf := make([]byte, 32*1024)
	for {
		n, err := conn.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return b.String(), fmt.Errorf("master socket %s: command %q: %w", m.Path, cmd, ErrTimeout)
			}
			return b.String(), nil
		}
	}
}

// Proc is the master's view of its processes.
type Proc struct {
	MasterPID int
	// Failed is the master's count of failed reloads.
	Failed  int
	Reloads int
	Workers []int
	// Old are workers of earlier generations still finishing.
	Old []int
}

// ShowProc runs "show proc" on the master.
func (m *Master) ShowProc(ctx context.Context) (*Proc, error) {
	out, err := m.Do(ctx, "show proc")
	if err != nil {
		return nil, err
	}
	return ParseShowProc(out)
}

// ParseShowProc parses the output of the master's "show proc".
func ParseShowProc(out string) (*Proc, error) {
	p := &Proc{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "# workers"):
			section = "workers"
			continue
		case strings.HasPrefix(line, "# old workers"):
			section = "old"
			continue
		case strings.HasPrefix(line, "#"):
			section = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		switch {
		case f[1] == "master":
			p.MasterPID = pid
			if len(f) >= 3 {
				p.Reloads, _ = strconv.Atoi(f[2])
			}
			if i := strings.Index(line, "[failed: "); i >= 0 {
				p.Failed, _ = strconv.Atoi(strings.TrimSuffix(strings.Fields(line[i+len("[failed: "):])[0], "]"))
			}
		case f[1] == "worker" && section == "workers":
			p.Workers = append(p.Workers, pid)
		case f[1] == "worker" && section == "old":
			p.Old = append(p.Old, pid)
		}
	}
	if p.MasterPID == 0 {
		return nil, fmt.Errorf("unexpected 'show proc' answer: %q", out)
	}
	return p, nil
}
