// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// Package methods lists the methods that the binding calls on a
// plugin's types, for cmd/nbdkit-vet, which checks a plugin's source
// without building it.  authoring_test.go in the binding checks the
// list against its interfaces.
package methods

// Names are the methods of PluginInterface, ConnectionInterface and
// every optional interface.
var Names = []string{
	"AfterFork", "BlockSize", "Cache", "CanCache", "CanExtents", "CanFUA",
	"CanFastZero", "CanFlush", "CanMultiConn", "CanTrim", "CanWrite",
	"CanZero", "Cleanup", "Close", "Config", "ConfigComplete",
	"ConfigHelp", "DefaultExport", "Description", "DumpPlugin",
	"ExportDescription", "Extents", "Flush", "GetReady", "GetSize",
	"IsRotational", "ListExports", "Load", "LongName", "MagicConfigKey",
	"Open", "PRead", "PWrite", "PreConnect", "ThreadModel", "Trim",
	"Unload", "Version", "Zero",
}

// Gates are the data methods called only after their Can* method
// returned true.
var Gates = [][2]string{
	{"PWrite", "CanWrite"}, {"Flush", "CanFlush"}, {"Trim", "CanTrim"}, {"Zero", "CanZero"},
}
