package ir

import "github.com/hashicorp/hcl/v2"

// SourceRange is an HCL source range in the JSON shape haproute prints
// everywhere (check diagnostics, plan changes):
// {"filename", "start": {"line", "column", "byte"}, "end": {...}}.
type SourceRange struct {
	Filename string    `json:"filename"`
	Start    SourcePos `json:"start"`
	End      SourcePos `json:"end"`
}

// SourcePos is one end of a SourceRange.
type SourcePos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// NewSourceRange converts an hcl.Range.
func NewSourceRange(r hcl.Range) *SourceRange {
	return &SourceRange{
		Filename: r.Filename,
		Start:    SourcePos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:      SourcePos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}
