// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// Command nbdkit-vet checks the source of a Go nbdkit plugin for the
// mistakes that Go's compiler cannot see: an exported method whose name
// differs from one of the binding's only by case (Pread for PRead), which is
// never called because the embedded nbdkit.Connection has the right
// one; and PWrite, Flush, Trim or Zero declared without the CanWrite,
// CanFlush, CanTrim or CanZero that allows it, so that it is never
// called either.  From the plugin's directory (its go.mod requires
// libguestfs.org/nbdkit):
//
//	go run libguestfs.org/nbdkit/cmd/nbdkit-vet .
//
// It reads the .go files of each directory named (not the tests), and
// exits 1 if it found a mistake, printing FILE:LINE: for each.  The
// binding reports the same mistakes in nbdkit's log when it loads the
// plugin.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"libguestfs.org/nbdkit/internal/methods"
)

func main() {
	dirs := os.Args[1:]
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	found := 0
	for _, dir := range dirs {
		problems, err := vetDir(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nbdkit-vet:", err)
			os.Exit(2)
		}
		for _, p := range problems {
			fmt.Println(p)
		}
		found += len(problems)
	}
	if found > 0 {
		os.Exit(1)
	}
}

// method is a method declaration: its receiver's type and position.
type method struct {
	receiver, name string
	pos            token.Position
	filter         bool // a filter's: its first parameter is nbdkit.Next
}

// vetDir returns the mistakes in the non-test .go files of dir.
func vetDir(dir string) ([]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var decls []method
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			decls = append(decls, method{receiverName(fn.Recv.List[0].Type), fn.Name.Name,
				fset.Position(fn.Name.Pos()), takesNext(fn)})
		}
	}
	return problems(decls), nil
}

// takesNext reports whether fn's first parameter is a filter's next
// layer (nbdkit.Next).
func takesNext(fn *ast.FuncDecl) bool {
	params := fn.Type.Params.List
	if len(params) == 0 {
		return false
	}
	sel, ok := params[0].Type.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Next"
}

// receiverName is T for a receiver of type T or *T (or T[...]).
func receiverName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return fmt.Sprint(x)
		}
	}
}

func problems(decls []method) []string {
	spelling := map[string]string{}
	for _, name := range methods.Names {
		spelling[strings.ToLower(name)] = name
	}
	has := map[string]map[string]token.Position{}
	var found []string
	for _, m := range decls {
		if has[m.receiver] == nil {
			has[m.receiver] = map[string]token.Position{}
		}
		if !m.filter { // a filter's methods have no Can* gates
			has[m.receiver][m.name] = m.pos
		}
		// An unexported method is a helper: nbdkit cannot mean it.
		if right, ok := spelling[strings.ToLower(m.name)]; ok && right != m.name &&
			ast.IsExported(m.name) {
			found = append(found, fmt.Sprintf("%s: method %s of %s is never called: "+
				"the binding's method is %s", m.pos, m.name, m.receiver, right))
		}
	}
	for receiver, names := range has {
		for _, gate := range methods.Gates {
			pos, declared := names[gate[0]]
			if _, allowed := names[gate[1]]; declared && !allowed {
				found = append(found, fmt.Sprintf("%s: %s has %s but no %s: %s is never "+
					"called (add a %s method that returns true)", pos, receiver, gate[0],
					gate[1], gate[0], gate[1]))
			}
		}
	}
	sort.Strings(found)
	return found
}
