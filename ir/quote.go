package ir

import "strings"

// Quote renders s as one word of HAProxy configuration that HAProxy reads
// back as exactly s: plain when s only holds characters that are never
// special, otherwise in single quotes (inside which HAProxy interprets
// nothing), with each embedded single quote written as '\”.
//
// The words "if" and "unless" are quoted too: config-parser, which
// normalises the rendered text, would read them as the start of a
// condition and drop them.
//
// Quote does not make a string safe for a log-format context; see
// QuoteLogFormat.
func Quote(s string) string {
	if s != "" && !strings.ContainsFunc(s, special) && s != "if" && s != "unless" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuotePattern quotes an ACL pattern or other non-log-format argument.
// Patterns that start with '-' would be read as flags, so they are always
// quoted behind "--" by the caller's ACL layout; here they are just quoted.
func QuotePattern(s string) string { return Quote(s) }

// QuoteLogFormat renders s as one word in a log-format context
// (set-header values, redirect locations) so that HAProxy emits exactly s:
// every '%' is doubled, so no "%[...]" or "%ci" expression can be formed,
// and the result is quoted like Quote.
func QuoteLogFormat(s string) string {
	return Quote(strings.ReplaceAll(s, "%", "%%"))
}

// special reports whether c needs quoting in an HAProxy configuration word.
func special(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	}
	switch c {
	case '.', '_', '-', '/', ':', '+', '=', ',', '@', '*':
		return false
	}
	return true
}
