// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Filters: a Go package main can be an nbdkit filter, which sits
// between the client and the plugin and sees each request on its way.
// See filter.h and filter.c for the C half, filter_dispatch.go for the
// callbacks, next.go for the calls to the next layer.

/*
#include "filter.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// FilterAPIVersion is the nbdkit filter API version of the installed
// nbdkit-filter.h, which this binding builds against.
const FilterAPIVersion = C.NBDKIT_FILTER_API_VERSION

// FilterInterface is the filter-wide part of a Go filter.  Embed
// Filter to get a default for each method.  Everything else a C filter
// can do is an optional interface (see filter_interfaces.go): a filter
// type without the method leaves the callback to the next layer, as a
// C filter that leaves the field NULL does.
type FilterInterface interface {
	// Load is called once, just after the filter is loaded.
	Load()
	// Unload is called once, just before the filter is unloaded.
	Unload()
	// Open is called for each new connection.  It must call
	// next.Open once, with the same or other arguments, to open
	// the next layer, and returns the connection's value, whose
	// methods (optional interfaces, see FilterReader...) see the
	// connection's requests.
	Open(next NextOpen, readonly bool, exportName string, isTLS bool) (FilterConnectionInterface, error)
}

// FilterConnectionInterface is one client connection through the
// filter.  Embed FilterConnection to get the default.
type FilterConnectionInterface interface {
	// Close is called once when the connection ends.
	Close()
}

// Filter supplies a default for every FilterInterface method; embed it
// in your filter type.
type Filter struct{}

// FilterConnection supplies a default for every
// FilterConnectionInterface method; embed it in your connection type.
type FilterConnection struct{}

// Load does nothing.
func (f *Filter) Load() {}

// Unload does nothing.
func (f *Filter) Unload() {}

// Open opens the next layer with the client's arguments, and returns a
// connection that passes every request through.
func (f *Filter) Open(next NextOpen, readonly bool, exportName string, isTLS bool) (FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &FilterConnection{}, nil
}

// Close does nothing.
func (c *FilterConnection) Close() {}

// The filter being served, set once by RegisterFilter's filter_init
// before nbdkit calls any other callback, and only read afterwards.
var filterImpl FilterInterface

var registeredFilter struct {
	name  string
	impl  FilterInterface
	err   error // a mistake in calling RegisterFilter, reported at load
	calls int
}

// RegisterFilter names the filter to serve.  Call it from an init
// function; the package then supplies filter_init, and the filter's
// main package needs nothing else but an empty func main():
//
//	func init() { nbdkit.RegisterFilter("guard", &guardFilter{}) }
//	func main() {}
//
// Build it as nbdkit-NAME-filter.so and run it over any plugin:
//
//	go build -buildmode=c-shared -o nbdkit-guard-filter.so
//	nbdkit --filter=./nbdkit-guard-filter.so memory 1G
//
// A .so serves one filter, or one plugin: calling RegisterFilter twice,
// with a nil filter, or in a .so that also calls Register, is an error
// that nbdkit reports when it loads the .so.
func RegisterFilter(name string, impl FilterInterface) {
	registeredFilter.calls++
	switch {
	case registeredFilter.err != nil:
	case registeredFilter.calls > 1:
		registeredFilter.err = fmt.Errorf("nbdkit.RegisterFilter called more than once "+
			"(%q, then %q): a filter .so serves one filter", registeredFilter.name, name)
	case isNil(impl):
		registeredFilter.err = fmt.Errorf("nbdkit.RegisterFilter(%q, %T): the filter is nil",
			name, impl)
	}
	registeredFilter.name = name
	registeredFilter.impl = impl
}

// bothKinds is the error of a .so that registered a plugin and a
// filter: nbdkit loads it as one or the other.
var errBothKinds = errors.New("this .so calls both nbdkit.Register and nbdkit.RegisterFilter: " +
	"a .so built with the binding is one plugin or one filter")

//export go_registered_filter
func go_registered_filter() *C.struct_nbdkit_filter {
	switch {
	case registeredFilter.err != nil:
		Error(registeredFilter.err.Error())
		return nil
	case registeredFilter.calls == 0 && registered.calls > 0:
		Error(fmt.Sprintf("%q is a plugin (nbdkit.Register), not a filter: "+
			"load it as nbdkit's plugin, without --filter=", registered.name))
		return nil
	case registeredFilter.calls == 0:
		Error("no filter registered: call nbdkit.RegisterFilter from an init function")
		return nil
	case registered.calls > 0:
		Error(errBothKinds.Error())
		return nil
	}
	return filterInitialize(registeredFilter.name, registeredFilter.impl)
}

// registeredKind is what go_registered_plugin says of a .so that
// registered a filter, or no plugin: "" if nothing is wrong with
// loading it as a plugin (see nbdkit.go).
func registeredKind() error {
	switch {
	case registeredFilter.calls > 0 && registered.calls > 0:
		return errBothKinds
	case registeredFilter.calls > 0:
		return fmt.Errorf("%q is a filter (nbdkit.RegisterFilter), not a plugin: "+
			"load it with nbdkit --filter=./nbdkit-%s-filter.so PLUGIN", registeredFilter.name,
			registeredFilter.name)
	}
	return nil
}

// filterInitialize describes the filter to nbdkit.
func filterInitialize(name string, impl FilterInterface) (filter *C.struct_nbdkit_filter) {
	defer catchPanic("RegisterFilter", &filter, nil)
	info, err := describeFilter(name, impl)
	if err != nil {
		Error("nbdkit.RegisterFilter: " + err.Error())
		return nil
	}
	filterImpl = impl
	return C.wrapper_filter_init(info)
}

// describeFilter reads the filter's static information and optional
// filter-wide capabilities, once.
func describeFilter(name string, impl FilterInterface) (*C.struct_filter_info, error) {
	if name == "" {
		return nil, errors.New("the filter name is empty")
	}
	info := &C.struct_filter_info{}
	var err error
	setString := func(dest **C.char, what, value string) {
		if err == nil {
			*dest, err = staticCString(what, value)
		}
	}
	setString(&info.name, "the filter name", name)
	if f, ok := impl.(LongNamer); ok {
		setString(&info.longname, "LongName", f.LongName())
	}
	if f, ok := impl.(Describer); ok {
		setString(&info.description, "Description", f.Description())
	}
	if f, ok := impl.(ConfigHelper); ok {
		setString(&info.config_help, "ConfigHelp", f.ConfigHelp())
	}
	if err != nil {
		return nil, err
	}
	var caps uint32
	discover[FilterConfigurer](impl, C.FILTER_CONFIG, &caps)
	discover[FilterConfigCompleter](impl, C.FILTER_CONFIG_COMPLETE, &caps)
	discover[ThreadModeler](impl, C.FILTER_THREAD_MODEL, &caps)
	discover[FilterGetReadier](impl, C.FILTER_GET_READY, &caps)
	discover[FilterAfterForker](impl, C.FILTER_AFTER_FORK, &caps)
	discover[FilterCleaner](impl, C.FILTER_CLEANUP, &caps)
	discover[FilterPreConnecter](impl, C.FILTER_PRECONNECT, &caps)
	discover[FilterExportLister](impl, C.FILTER_LIST_EXPORTS, &caps)
	discover[FilterDefaultExporter](impl, C.FILTER_DEFAULT_EXPORT, &caps)
	info.caps = C.uint32_t(caps)
	return info, nil
}
