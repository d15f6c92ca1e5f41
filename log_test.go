// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"strings"
	"testing"
)

// quoteLikeNbdkit is nbdkit 1.36's c_string_quote, for a line without
// NUL bytes (nbdkit never sees them).
func quoteLikeNbdkit(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			if c >= 32 && c <= 126 {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x` + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&0xf]))
			}
		}
	}
	return b.String()
}

// printed is what nbdkit prints for one debug line: quoted by nbdkit
// (1.36 and later), or as it is (1.32).
func printed(line string, nbdkitQuotes bool) string {
	text := debugText(line, nbdkitQuotes)
	if nbdkitQuotes {
		return quoteLikeNbdkit(text)
	}
	return text
}

func TestDebugTextSameOnEveryVersion(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"plain text", "plain text"},
		{"", ""},
		{"a\tb", `a\tb`},
		{`C:\dir`, `C:\\dir`},
		{`already \x00 quoted`, `already \\x00 quoted`},
		{"before\x00after", "before<NUL>after"},
		{"\x00", "<NUL>"},
		{"bell\a bs\b ff\f cr\r vt\v", `bell\a bs\b ff\f cr\r vt\v`},
		{"esc\x1b[0m del\x7f", `esc\x1b[0m del\x7f`},
		{"café", `caf\xc3\xa9`},
		{"%s %n %%", "%s %n %%"},
	} {
		for _, quotes := range []bool{false, true} {
			if got := printed(c.line, quotes); got != c.want {
				t.Errorf("Debug(%q), nbdkit quotes: %t: printed %q, want %q", c.line, quotes, got, c.want)
			}
		}
	}
}

func TestNextLine(t *testing.T) {
	for _, c := range []struct {
		msg   string
		lines []string
	}{
		{"", []string{""}},
		{"one", []string{"one"}},
		{"one\n", []string{"one"}},
		{"\n", []string{""}},
		{"one\ntwo", []string{"one", "two"}},
		{"one\r\ntwo\r\n", []string{"one", "two"}},
		{"one\n\nthree\n", []string{"one", "", "three"}},
		{"cr\ronly", []string{"cr\ronly"}},
	} {
		var got []string
		msg := c.msg
		for {
			line, rest, more := nextLine(msg)
			got = append(got, line)
			if !more {
				break
			}
			msg = rest
		}
		if strings.Join(got, "|") != strings.Join(c.lines, "|") || len(got) != len(c.lines) {
			t.Errorf("lines of %q: %q, want %q", c.msg, got, c.lines)
		}
	}
}

// A panic's stack: a debug call whose lines are the frames, indented
// with spaces, not tabs.
func TestPanicStackLines(t *testing.T) {
	log := setup(t, &testPlugin{})
	reportPanic("PRead", "boom")
	if len(log.debugs) != 1 {
		t.Fatalf("debug calls: %q", log.debugs)
	}
	lines := strings.Split(log.debugs[0], "\n")
	if lines[0] != "PRead: panic: boom" || !strings.HasPrefix(lines[1], "goroutine ") {
		t.Fatalf("first lines: %q", lines[:2])
	}
	for _, line := range lines {
		if strings.ContainsRune(line, '\t') {
			t.Errorf("a tab in stack line %q", line)
		}
	}
	if !strings.Contains(log.debugs[0], "\n    ") {
		t.Errorf("no indented frame in %q", log.debugs[0])
	}
}

func BenchmarkDebugTextPlain(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = debugText("extents of 1048576 bytes at 0, flags 0x4", i%2 == 0)
	}
}
