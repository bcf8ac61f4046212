// Command vidivo runs the Vidivo service and its operator tasks.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // IANA zones on machines without a zoneinfo database
)

const usage = `vidivo — paid video calls

Usage:
  vidivo serve     run the HTTP API (creates the data dir, migrates, generates keys)
  vidivo migrate   apply database migrations and exit
  vidivo backup <file>  copy the SQLite database to a new file while it is in use
  vidivo user create --email E --username U --role R [--display-name N] [--password-stdin]
  vidivo user promote [--role admin] <email or username>
  vidivo version   print the version (also --version)

Run "vidivo <command> --help" for a command's flags.
`

// env is what a command may touch of the outside world, so tests can run
// commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, os.Args[1:], e))
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], e)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], e)
	case "user":
		err = cmdUser(ctx, args[1:], e)
	case "backup":
		err = cmdBackup(ctx, args[1:], e)
	case "version", "--version", "-version":
		err = cmdVersion(args[1:], e)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return 0
	default:
		fmt.Fprintf(e.stderr, "vidivo: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch err {
	case errHelp:
		return 0
	case errUsage:
		return 2
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "vidivo %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
