package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeShowsThisProgram checks that the first Go block of
// clients/go/README.md is this program, so the guide's first example is the
// one the suite runs.
func TestReadmeShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, found := strings.Cut(string(readme), "```go\n")
	block, _, closed := strings.Cut(after, "```\n")
	if !found || !closed {
		t.Fatal("clients/go/README.md has no ```go block")
	}
	if block != string(program) {
		t.Fatalf("the first ```go block of clients/go/README.md differs from examples/seed/main.go; copy the file into the README")
	}
}
