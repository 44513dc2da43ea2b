package gen

import (
	"math/rand/v2"
	"net/netip"
	"strings"
)

// Request is one generated request.
type Request struct {
	Method string
	// Host is the Host header value (may be upper case, may carry a
	// port); "" when Header holds the Host line.
	Host string
	// Target is the request target: path and optional query.
	Target string
	// Header lists the other headers, in order.
	Header [][2]string
	// Src is the client address (127.0.0.1 to 127.0.0.9).
	Src string
}

// Requests returns n random requests over the vocabulary v.
func Requests(rng *rand.Rand, v Vocab, n int) []Request {
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	var out []Request
	for i := 0; i < n; i++ {
		r := Request{
			Method: pick(v.Methods),
			Host:   pick(v.Hosts),
			Target: pick(v.Paths),
			Src:    pick(v.Srcs),
		}
		if q := pick(v.Queries); q != "" {
			r.Target += "?" + q
		}
		for _, h := range v.Headers {
			if rng.IntN(3) == 0 {
				continue
			}
			name := h.Name
			if rng.IntN(3) == 0 {
				name = strings.ToLower(name)
			}
			value := pick(h.Values)
			switch rng.IntN(12) {
			case 0:
				value = "other"
			case 1:
				value = "" // present, empty
			case 2:
				// The header twice: a match on any occurrence counts.
				r.Header = append(r.Header, [2]string{name, "first"})
			}
			r.Header = append(r.Header, [2]string{name, value})
		}
		rng.Shuffle(len(r.Header), func(i, j int) { r.Header[i], r.Header[j] = r.Header[j], r.Header[i] })
		if rng.IntN(10) == 0 {
			// Host as an ordinary header line, in lower case.
			r.Header = append(r.Header, [2]string{"host", r.Host})
			r.Host = ""
		}
		out = append(out, r)
	}
	return out
}

// canonCIDRs returns the canonical prefixes of the IPs and CIDRs in l, as
// lang's parseCIDR computes them (IPv4-mapped prefixes unmapped, host bits
// cleared).
func canonCIDRs(l []string) []string {
	var out []string
	for _, s := range l {
		out = append(out, canonCIDR(s).String())
	}
	return out
}

func canonCIDR(s string) netip.Prefix {
	if !strings.Contains(s, "/") {
		a := netip.MustParseAddr(s).Unmap()
		return netip.PrefixFrom(a, a.BitLen())
	}
	p := netip.MustParsePrefix(s)
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked()
}
