package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/sqldb"
)

const userUsage = `Usage:
  vidivo user create --email E --username U --role R [--display-name N] [--password-stdin]
  vidivo user promote [--role admin] <email or username>

Run "vidivo user create --help" or "vidivo user promote --help" for their flags.
`

func cmdUser(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, userUsage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return cmdUserCreate(ctx, args[1:], e)
	case "promote":
		return cmdUserPromote(ctx, args[1:], e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, userUsage)
		return errHelp
	}
	fmt.Fprintf(e.stderr, "vidivo user: unknown command %q\n\n%s", args[0], userUsage)
	return errUsage
}

func cmdUserCreate(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("vidivo user create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv, storeFlags...)
	email := fs.String("email", "", "email address (required)")
	username := fs.String("username", "", "username, 3-32 of a-z 0-9 _ - (required)")
	role := fs.String("role", "client", "client, host or admin")
	display := fs.String("display-name", "", "display name (default: the username)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input; without it a random password is generated and printed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := build()
	if err != nil {
		return err
	}
	pw, generated := "", false
	if *pwStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("--password-stdin: no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		pw, generated = rand.Text(), true
	}
	if *display == "" {
		*display = *username
	}

	db, err := openStore(ctx, c, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	// Creating an account signs no token: no keys needed.
	authSvc := &auth.Service{Users: db}
	u, err := authSvc.CreateAccount(ctx, vidivo.Signup{
		Email: *email, Password: pw, Username: *username, DisplayName: *display, Role: vidivo.Role(*role),
	})
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "created %s %s (%s) id %s in %s\n", u.Role, u.Username, u.Email, u.ID, describeDatabase(c.DatabaseURL))
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

func cmdUserPromote(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("vidivo user promote", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv, storeFlags...)
	role := fs.String("role", "admin", "the new role: client, host or admin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give one email or username")
	}
	c, err := build()
	if err != nil {
		return err
	}
	db, err := openStore(ctx, c, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return promote(ctx, db, fs.Arg(0), vidivo.Role(*role), e)
}

func promote(ctx context.Context, db *sqldb.DB, login string, role vidivo.Role, e env) error {
	u, _, err := db.UserByLogin(ctx, login)
	if err != nil {
		return userError(err)
	}
	u, err = db.SetUserRole(ctx, u.ID, role)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "%s is now %s\n", u.Username, u.Role)
	return nil
}

// userError shows a domain error the way a person at a terminal reads it.
func userError(err error) error {
	var ve *vidivo.Error
	if !errors.As(err, &ve) {
		return err
	}
	msg := ve.Message
	for _, d := range ve.Details {
		msg += fmt.Sprintf("\n  %s: %s", d.Field, d.Issue)
	}
	return errors.New(msg)
}

// describeDatabase names a database for people without its credentials:
// "SQLite database data/vidivo.db" or "PostgreSQL database test on
// 127.0.0.1:5432".
func describeDatabase(dbURL string) string {
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		return "SQLite database " + strings.TrimPrefix(path, "//")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "PostgreSQL database"
	}
	return fmt.Sprintf("PostgreSQL database %s on %s", strings.TrimPrefix(u.Path, "/"), u.Host)
}
