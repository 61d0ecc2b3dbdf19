// Package control is the owner's control API (docs/spec/runtime.md §15) and its client:
// the server on the project's unix socket and the optional loopback dashboard listener
// (with the dashboard's files), the client that down, ps, restart, stop, start, kill,
// events and attach use to talk to the owner, and the JSON types both sides share
// (wire.go).
package control
