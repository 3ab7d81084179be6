//go:build !cgo

// nocgo.go - the static (CGO_ENABLED=0) build: no C at all
package main

func cgoCheck() string { return "off" }
