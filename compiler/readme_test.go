package compiler_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeTour keeps the README's language tour identical to
// examples/tour/tour.hcl, which TestExamples checks, compiles and validates.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tour, err := os.ReadFile("../examples/tour/tour.hcl")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(tour), "\n") // drop the header comment
	if !strings.Contains(string(readme), "```hcl\n"+body+"```") {
		t.Fatal("the README's language tour differs from examples/tour/tour.hcl")
	}
}
