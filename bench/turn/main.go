// Command turn measures a TURN server over UDP on loopback, from its own
// process, so that the embedded relay (package turn, on pion/turn) and
// coturn can be compared by the same method:
//
//  1. packets a second relayed at under 1 % loss: -flows allocations,
//     each bound (ChannelBind) to a loopback echo peer that returns every
//     datagram, carry ChannelData of -sizes bytes (160: audio, 1200:
//     video) at rising rates spread evenly over the flows; a rate passes
//     when under 1 % of the packets sent fail to come back within the
//     step and its drain; each packet crosses the relay twice (client →
//     peer, peer → client), so the relay forwards twice the offered rate;
//  2. allocations a second: -alloc-workers concurrent clients, each
//     repeating Allocate + CreatePermission + Refresh + deallocation on a
//     fresh socket (see allocRate).
//
// Modes:
//
//	turn load -server 127.0.0.1:3478 -secret S -server-pid N -label vidivo -out vidivo.json
//	turn server -addr 127.0.0.1:3478 -secret S -pprof 127.0.0.1:6060   # turn.Listen alone, for profiling
//	turn report coturn.json vidivo.json                                # the table, ratios to the first
//
// bench/turn/run.sh starts the real `vidivo serve` and Debian's coturn
// with equivalent settings and runs the lot.
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
	case "load":
		err = loadMain(os.Args[2:])
	case "server":
		err = serverMain(os.Args[2:])
	case "report":
		err = reportMain(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "turn:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: turn load|server|report [flags]   (see go doc ./bench/turn)")
	os.Exit(2)
}
