// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The callback surface is written down in several places that must
// agree: the list of callbacks and the capability bits in wrapper.h,
// the go_* exports in dispatch.go, the interfaces in nbdkit.go and
// interfaces.go, the discovery of each in connections.go and nbdkit.go,
// and the CALLBACKS table of the man page.  TestCallbackSurface reads
// them all and fails where they disagree.  (cmd/nbdkit-vet's list,
// internal/methods, is checked against the interfaces by
// TestMethodsList, and so against the rest through this test.)

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// callbackSources are the files that describe the callbacks, by name.
type callbackSources map[string]string

var callbackFiles = []string{"wrapper.h", "dispatch.go", "nbdkit.go", "interfaces.go",
	"connections.go", "docs/nbdkit-golang-plugin.pod"}

func readCallbackSources(t *testing.T) callbackSources {
	t.Helper()
	src := callbackSources{}
	for _, name := range callbackFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src[name] = string(data)
	}
	return src
}

// capabilityBit is one member of enum plugin_capability or enum
// connection_capability: its value, and the interface its comment names.
type capabilityBit struct {
	name, iface string
	value       uint32
}

// capabilityBits reads an enum of capability bits from wrapper.h.
func capabilityBits(header, enum string) ([]capabilityBit, error) {
	body := regexp.MustCompile(`(?s)enum ` + enum + ` \{(.*?)\};`).FindStringSubmatch(header)
	if body == nil {
		return nil, fmt.Errorf("wrapper.h has no enum %s", enum)
	}
	var bits []capabilityBit
	member := regexp.MustCompile(`(\w+)\s*=\s*1 << (\d+),\s*/\*\s*(\w+)`)
	for _, m := range member.FindAllStringSubmatch(body[1], -1) {
		shift, _ := strconv.Atoi(m[2])
		bits = append(bits, capabilityBit{name: m[1], iface: m[3], value: 1 << shift})
	}
	return bits, nil
}

// interfaceMethods returns the methods of each interface type in a Go
// source file.
func interfaceMethods(name, source string) (map[string][]string, error) {
	file, err := parser.ParseFile(token.NewFileSet(), name, source, 0)
	if err != nil {
		return nil, err
	}
	interfaces := map[string][]string{}
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		if it, ok := spec.Type.(*ast.InterfaceType); ok {
			methods := []string{}
			for _, field := range it.Methods.List {
				for _, id := range field.Names {
					methods = append(methods, id.Name)
				}
			}
			interfaces[spec.Name.Name] = methods
		}
		return false
	})
	return interfaces, nil
}

// podRow is a row of the man page's CALLBACKS table.
type podRow struct{ method, callback, iface string }

// notCallbacks are exports of dispatch.go that nbdkit does not call
// as a callback of its own: wrapper_after_fork calls go_serving.
var notCallbacks = map[string]bool{"serving": true}

// checkCallbacks returns every disagreement between the sources.
func checkCallbacks(src callbackSources) []string {
	var problems []string
	problem := func(format string, args ...interface{}) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	header := src["wrapper.h"]

	// wrapper.h: the callback list, the bits, struct plugin_info.
	callbacks := map[string]string{} // field -> needed plugin capability
	var callbackOrder []string
	for _, m := range regexp.MustCompile(`CALLBACK \((\w+),\s*(\w+)\)`).FindAllStringSubmatch(header, -1) {
		callbacks[m[1]] = m[2]
		callbackOrder = append(callbackOrder, m[1])
	}
	if len(callbacks) == 0 {
		problem("wrapper.h has no NBDKIT_GO_CALLBACKS list")
	}
	pluginBits, err := capabilityBits(header, "plugin_capability")
	if err != nil {
		problem("%v", err)
	}
	connectionBits, err := capabilityBits(header, "connection_capability")
	if err != nil {
		problem("%v", err)
	}
	bitOf := map[string]capabilityBit{} // interface -> its bit
	for _, bit := range append(append([]capabilityBit(nil), pluginBits...), connectionBits...) {
		if other, ok := bitOf[bit.iface]; ok {
			problem("wrapper.h: %s and %s both name %s", other.name, bit.name, bit.iface)
		}
		bitOf[bit.iface] = bit
	}
	isPluginBit := map[string]bool{"PLUGIN_ALWAYS": true}
	for _, bit := range pluginBits {
		isPluginBit[bit.name] = true
	}
	infoFields := map[string]bool{}
	if info := regexp.MustCompile(`(?s)struct plugin_info \{(.*?)\};`).FindStringSubmatch(header); info != nil {
		for _, m := range regexp.MustCompile(`const char \*(\w+);`).FindAllStringSubmatch(info[1], -1) {
			infoFields[m[1]] = true
		}
	}
	delete(infoFields, "name") // Register's argument, not a method

	// dispatch.go: an export for every callback, and no other.
	exports := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//export go_(\w+)$`).FindAllStringSubmatch(src["dispatch.go"], -1) {
		exports[m[1]] = true
	}
	for _, field := range callbackOrder {
		if !exports[field] {
			problem("callback %s in wrapper.h has no go_%s export in dispatch.go", field, field)
		}
		if !isPluginBit[callbacks[field]] {
			problem("callback %s in wrapper.h needs %s, not an enum plugin_capability bit",
				field, callbacks[field])
		}
	}
	for export := range exports {
		if callbacks[export] == "" && !notCallbacks[export] {
			problem("export go_%s in dispatch.go is not a callback in wrapper.h", export)
		}
	}

	// The interfaces: the two required ones, and the optional ones.
	required, err := interfaceMethods("nbdkit.go", src["nbdkit.go"])
	if err != nil {
		problem("%v", err)
	}
	optional, err := interfaceMethods("interfaces.go", src["interfaces.go"])
	if err != nil {
		problem("%v", err)
	}
	interfaces := map[string][]string{}
	for _, name := range []string{"PluginInterface", "ConnectionInterface"} {
		if required[name] == nil {
			problem("nbdkit.go has no %s", name)
		}
		interfaces[name] = required[name]
	}
	for name, methods := range optional {
		interfaces[name] = methods
		if len(methods) != 1 {
			problem("optional interface %s has %d methods, not one", name, len(methods))
		}
	}

	// The man page's table: a row for every method, and a row for
	// every callback and static string.
	pod := src["docs/nbdkit-golang-plugin.pod"]
	if i := strings.Index(pod, "\n=head1 CALLBACKS\n"); i >= 0 {
		pod = pod[i+1:]
		if j := strings.Index(pod, "\n=head1 "); j >= 0 {
			pod = pod[:j]
		}
	} else {
		problem("the man page has no CALLBACKS section")
	}
	rows := map[string]podRow{} // by method
	rowFor := map[string]podRow{}
	for _, m := range regexp.MustCompile(`(?m)^ (\w+)\(.*\s\.(\w+)\s+(\w+)$`).FindAllStringSubmatch(pod, -1) {
		row := podRow{method: m[1], callback: m[2], iface: m[3]}
		rows[row.method] = row
		rowFor[row.callback] = row
		methods, ok := interfaces[row.iface]
		switch {
		case !ok:
			problem("the CALLBACKS table's row for %s names %s, not an interface", row.method, row.iface)
		case !contains(methods, row.method):
			problem("the CALLBACKS table's row for %s names %s, which has no method %s",
				row.method, row.iface, row.method)
		}
		if callbacks[row.callback] == "" && !infoFields[row.callback] {
			problem("the CALLBACKS table's row for %s names .%s, neither a callback in wrapper.h "+
				"nor a field of struct plugin_info", row.method, row.callback)
		}
	}
	for _, name := range sortedKeys(interfaces) {
		for _, method := range interfaces[name] {
			if _, ok := rows[method]; !ok {
				problem("method %s of %s has no row in the man page's CALLBACKS table", method, name)
			}
		}
	}
	for _, field := range append(callbackOrder, sortedKeys(infoFields)...) {
		if _, ok := rowFor[field]; !ok {
			problem(".%s has no row in the man page's CALLBACKS table", field)
		}
	}

	// Every optional interface has its bit, or is a static string;
	// every bit names an optional interface, and is discovered.
	for _, name := range sortedKeys(optional) {
		row := rows[firstOf(optional[name])]
		if _, ok := bitOf[name]; !ok && !infoFields[row.callback] {
			problem("optional interface %s has no capability bit in wrapper.h", name)
		}
	}
	discovered := map[string]string{} // interface -> bit it sets
	for _, file := range []string{"connections.go", "nbdkit.go"} {
		for _, m := range regexp.MustCompile(`discover\[(\w+)\]\(\w+, C\.(\w+),`).FindAllStringSubmatch(src[file], -1) {
			discovered[m[1]] = m[2]
		}
	}
	for _, iface := range sortedKeys(bitOf) {
		bit := bitOf[iface]
		if optional[iface] == nil {
			problem("wrapper.h: %s names %s, not an optional interface", bit.name, iface)
		}
		switch got, ok := discovered[iface]; {
		case !ok:
			problem("%s (%s) is never discovered in connections.go or nbdkit.go", iface, bit.name)
		case got != bit.name:
			problem("discover[%s] sets %s, but wrapper.h gives %s", iface, got, bit.name)
		}
	}
	for iface := range discovered {
		if _, ok := bitOf[iface]; !ok {
			problem("discover[%s] in connections.go or nbdkit.go has no bit in wrapper.h", iface)
		}
	}
	read := map[string]string{} // plugin_info field -> interface read into it
	for _, m := range regexp.MustCompile(`setString\(&info\.(\w+), "[^"]*",\s*optionalString\(impl, (\w+)\.`).FindAllStringSubmatch(src["nbdkit.go"], -1) {
		read[m[1]] = m[2]
	}
	for _, field := range sortedKeys(infoFields) {
		if want := rowFor[field].iface; read[field] != want {
			problem("nbdkit.go reads info.%s from %q, the CALLBACKS table says %q", field, read[field], want)
		}
	}
	sort.Strings(problems)
	return problems
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

func sortedKeys[Value any](m map[string]Value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCallbackSurface: the sources agree.
func TestCallbackSurface(t *testing.T) {
	for _, p := range checkCallbacks(readCallbackSources(t)) {
		t.Error(p)
	}
}

// TestCallbackSurfaceDoctored: checkCallbacks finds each kind of
// disagreement, in a copy of the sources with one thing changed.
func TestCallbackSurfaceDoctored(t *testing.T) {
	for _, tc := range []struct {
		file, old, new string
		want           string
	}{
		{"dispatch.go", "//export go_cache\n", "",
			"callback cache in wrapper.h has no go_cache export in dispatch.go"},
		{"dispatch.go", "//export go_serving\n", "//export go_serve\n",
			"export go_serve in dispatch.go is not a callback in wrapper.h"},
		{"wrapper.h", "  CALLBACK (block_size,", "  CALLBACK (can_foo, PLUGIN_ALWAYS) \\\n  CALLBACK (block_size,",
			".can_foo has no row in the man page's CALLBACKS table"},
		{"wrapper.h", "CALLBACK (cleanup,            PLUGIN_CLEANUP)", "CALLBACK (cleanup, PLUGIN_CLEAN)",
			"callback cleanup in wrapper.h needs PLUGIN_CLEAN, not an enum plugin_capability bit"},
		{"wrapper.h", "/* BlockSizer */", "/* */",
			"optional interface BlockSizer has no capability bit in wrapper.h"},
		{"wrapper.h", "/* BlockSizer */", "/* Blocksizer */",
			"wrapper.h: CONNECTION_BLOCK_SIZE names Blocksizer, not an optional interface"},
		{"connections.go", "discover[Cacher](conn, C.CONNECTION_CACHE,", "discover[Cacher](conn, C.CONNECTION_CAN_CACHE,",
			"discover[Cacher] sets CONNECTION_CAN_CACHE, but wrapper.h gives CONNECTION_CACHE"},
		{"nbdkit.go", "\tdiscover[Cleaner](impl, C.PLUGIN_CLEANUP, &caps)\n", "",
			"Cleaner (PLUGIN_CLEANUP) is never discovered in connections.go or nbdkit.go"},
		{"nbdkit.go", "optionalString(impl, Versioner.Version)", "optionalString(impl, LongNamer.LongName)",
			`nbdkit.go reads info.version from "LongNamer", the CALLBACKS table says "Versioner"`},
		{"interfaces.go", "\tCleanup()\n", "\tCleanup()\n\tCleanupHarder()\n",
			"method CleanupHarder of Cleaner has no row in the man page's CALLBACKS table"},
		{"docs/nbdkit-golang-plugin.pod", " Cleanup()                      .cleanup           Cleaner\n", "",
			"method Cleanup of Cleaner has no row in the man page's CALLBACKS table"},
		{"docs/nbdkit-golang-plugin.pod", "Cleaner\n", "Cleanser\n",
			"the CALLBACKS table's row for Cleanup names Cleanser, not an interface"},
		{"docs/nbdkit-golang-plugin.pod", ".cleanup  ", ".clean_up",
			"the CALLBACKS table's row for Cleanup names .clean_up, neither a callback in wrapper.h"},
	} {
		src := readCallbackSources(t)
		if !strings.Contains(src[tc.file], tc.old) {
			t.Errorf("%s has no %q to doctor", tc.file, tc.old)
			continue
		}
		src[tc.file] = strings.Replace(src[tc.file], tc.old, tc.new, 1)
		problems := checkCallbacks(src)
		found := false
		for _, p := range problems {
			found = found || strings.Contains(p, tc.want)
		}
		if !found {
			t.Errorf("%s with %q for %q: problems %q, want %q", tc.file, tc.new, tc.old, problems, tc.want)
		}
	}
}

// everyConnection implements every optional connection interface.
type everyConnection struct{ Connection }

func (c *everyConnection) CanFUA() (uint32, error)                           { return FUANative, nil }
func (c *everyConnection) CanFastZero() (bool, error)                        { return true, nil }
func (c *everyConnection) CanCache() (uint32, error)                         { return CacheNative, nil }
func (c *everyConnection) Cache(count uint32, offset uint64, f uint32) error { return nil }
func (c *everyConnection) CanExtents() (bool, error)                         { return true, nil }
func (c *everyConnection) ExportDescription() (string, error)                { return "", nil }
func (c *everyConnection) Extents(count uint32, offset uint64, f uint32, e ExtentList) error {
	return nil
}
func (c *everyConnection) BlockSize() (minimum, preferred, maximum uint32, err error) {
	return 0, 0, 0, nil
}

// everyPlugin implements every optional plugin-wide interface.
type everyPlugin struct{ Plugin }

func (p *everyPlugin) Version() string        { return "1" }
func (p *everyPlugin) LongName() string       { return "every" }
func (p *everyPlugin) Description() string    { return "every interface" }
func (p *everyPlugin) ConfigHelp() string     { return "none" }
func (p *everyPlugin) MagicConfigKey() string { return "key" }
func (p *everyPlugin) ThreadModel() uint32    { return ThreadModelParallel }
func (p *everyPlugin) AfterFork() error       { return nil }
func (p *everyPlugin) Cleanup()               {}
func (p *everyPlugin) ListExports(readonly, isTLS bool, exports ExportList) error {
	return nil
}
func (p *everyPlugin) DefaultExport(readonly, isTLS bool) (string, error) { return "", nil }

// Values implementing exactly one optional interface each, by name.
var (
	everyConn   = &everyConnection{}
	oneOptional = map[string]interface{}{
		"FUAChecker": struct {
			*Connection
			FUAChecker
		}{&Connection{}, everyConn},
		"FastZeroChecker": struct {
			*Connection
			FastZeroChecker
		}{&Connection{}, everyConn},
		"CacheChecker": struct {
			*Connection
			CacheChecker
		}{&Connection{}, everyConn},
		"Cacher": struct {
			*Connection
			Cacher
		}{&Connection{}, everyConn},
		"ExtentsChecker": struct {
			*Connection
			ExtentsChecker
		}{&Connection{}, everyConn},
		"Extenter": struct {
			*Connection
			Extenter
		}{&Connection{}, everyConn},
		"ExportDescriber": struct {
			*Connection
			ExportDescriber
		}{&Connection{}, everyConn},
		"BlockSizer": struct {
			*Connection
			BlockSizer
		}{&Connection{}, everyConn},

		"ThreadModeler": struct {
			*Plugin
			ThreadModeler
		}{&Plugin{}, &everyPlugin{}},
		"AfterForker": struct {
			*Plugin
			AfterForker
		}{&Plugin{}, &everyPlugin{}},
		"ExportLister": struct {
			*Plugin
			ExportLister
		}{&Plugin{}, &everyPlugin{}},
		"DefaultExporter": struct {
			*Plugin
			DefaultExporter
		}{&Plugin{}, &everyPlugin{}},
		"Cleaner": struct {
			*Plugin
			Cleaner
		}{&Plugin{}, &everyPlugin{}},
	}
)

// checkDiscovery checks a discovery function against the bits: every
// interface gets every bit, none gets 0, each single one its own bit.
func checkDiscovery(bits []capabilityBit, every, none interface{},
	discover func(interface{}) uint32) []string {
	var problems []string
	var all uint32
	for _, bit := range bits {
		all |= bit.value
		one, ok := oneOptional[bit.iface]
		if !ok {
			problems = append(problems, fmt.Sprintf("no value implementing only %s to test", bit.iface))
			continue
		}
		if got := discover(one); got != bit.value {
			problems = append(problems, fmt.Sprintf("%s alone: capabilities %#x, want %s (%#x)",
				bit.iface, got, bit.name, bit.value))
		}
	}
	if got := discover(every); got != all {
		problems = append(problems, fmt.Sprintf("every interface: capabilities %#x, want %#x", got, all))
	}
	if got := discover(none); got != 0 {
		problems = append(problems, fmt.Sprintf("no interface: capabilities %#x, want 0", got))
	}
	return problems
}

// discoverConnection is newConnection's answer, and checks that each
// optional method it found is set exactly when its bit is.
func discoverConnection(t *testing.T, bits []capabilityBit) func(interface{}) uint32 {
	fields := map[string]string{} // interface -> field of connection
	typ := reflect.TypeOf(connection{})
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i); !f.Anonymous {
			fields[f.Type.Name()] = f.Name
		}
	}
	return func(v interface{}) uint32 {
		c, caps := newConnection(v.(ConnectionInterface))
		for _, bit := range bits {
			field, ok := fields[bit.iface]
			if !ok {
				t.Errorf("connection has no field for %s", bit.iface)
				continue
			}
			set := !reflect.ValueOf(c).Elem().FieldByName(field).IsNil()
			if has := caps&bit.value != 0; set != has {
				t.Errorf("%T: connection.%s set %v, bit %s set %v", v, field, set, bit.name, has)
			}
		}
		return caps
	}
}

// TestCapabilityDiscovery: newConnection and pluginCapabilities find
// each optional interface, and set its bit from wrapper.h.
func TestCapabilityDiscovery(t *testing.T) {
	setup(t, &testPlugin{})
	header := readCallbackSources(t)["wrapper.h"]
	connectionBits, err := capabilityBits(header, "connection_capability")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkDiscovery(connectionBits, everyConn, &Connection{},
		discoverConnection(t, connectionBits)) {
		t.Error(p)
	}
	pluginBits, err := capabilityBits(header, "plugin_capability")
	if err != nil {
		t.Fatal(err)
	}
	discoverPlugin := func(v interface{}) uint32 { return pluginCapabilities(v.(PluginInterface)) }
	for _, p := range checkDiscovery(pluginBits, &everyPlugin{}, &Plugin{}, discoverPlugin) {
		t.Error(p)
	}

	// The checker fails a discovery that forgets an interface, and a
	// bit without a value to test it.
	forgetful := func(v interface{}) uint32 {
		return pluginCapabilities(v.(PluginInterface)) &^ pluginBits[len(pluginBits)-1].value
	}
	if p := checkDiscovery(pluginBits, &everyPlugin{}, &Plugin{}, forgetful); len(p) != 2 {
		t.Errorf("a forgotten interface: problems %q, want two", p)
	}
	extra := append([]capabilityBit{{name: "PLUGIN_FOO", iface: "Fooer", value: 1 << 30}}, pluginBits...)
	if p := checkDiscovery(extra, &everyPlugin{}, &Plugin{}, discoverPlugin); len(p) != 2 {
		t.Errorf("an untested bit: problems %q, want two", p)
	}
}
