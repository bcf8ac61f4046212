// Command signal load-tests the signaling relay (package signaling) against
// a bare WebSocket relay written with the same library (coder/websocket),
// from a separate client process:
//
//  1. how many concurrent connections one instance holds (-pairs calls of
//     two sockets each),
//  2. memory per idle connection: the server's RSS (read from
//     /proc/<pid>/status) after opening them minus before, divided by the
//     number of sockets,
//  3. relay latency p50/p99 while they are all open, at modest message
//     rates: a sender writes timestamped ICE-candidate-sized messages at
//     -rates messages a second, alternating direction over the pairs, and
//     the receiving socket records now − timestamp.
//
// Three modes:
//
//	signal server -addr 127.0.0.1:9300 -secret s        # a signaling.Hub
//	signal server -addr 127.0.0.1:9301 -bare            # the bare relay
//	signal client -url ws://127.0.0.1:9300/signal/ws -secret s -server-pid N -out hub.json
//	signal report bare.json hub.json                    # the table, hub/bare ratios
//
// The bare relay pairs sockets two by two by their "call" query parameter
// and copies each message to the other socket unchanged: one goroutine per
// socket, no parsing, no limits. The client sends the same query (token
// and call) to both. bench/signal/run.sh runs the lot.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = serverMain(os.Args[2:])
	case "client":
		err = clientMain(os.Args[2:])
	case "report":
		err = reportMain(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "signal:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: signal server|client|report [flags]   (see go doc ./bench/signal)")
	os.Exit(2)
}
