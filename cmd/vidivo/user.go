package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
)

func cmdUser(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return errors.New(`want "user create" or "user promote"`)
	}
	switch args[0] {
	case "create":
		return cmdUserCreate(ctx, args[1:], e)
	case "promote":
		return cmdUserPromote(ctx, args[1:], e)
	}
	return fmt.Errorf(`unknown user command %q: want "create" or "promote"`, args[0])
}

func cmdUserCreate(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("vidivo user create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv)
	email := fs.String("email", "", "email address (required)")
	username := fs.String("username", "", "username, 3-32 of a-z 0-9 _ - (required)")
	role := fs.String("role", "client", "client, host or admin")
	display := fs.String("display-name", "", "display name (default: the username)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input; without it a random password is generated and printed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
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
	authSvc, _, err := newAuth(c, db)
	if err != nil {
		return err
	}
	u, err := authSvc.CreateAccount(ctx, vidivo.Signup{
		Email: *email, Password: pw, Username: *username, DisplayName: *display, Role: vidivo.Role(*role),
	})
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(e.stdout, "created %s %s (%s) id %s\n", u.Role, u.Username, u.Email, u.ID)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

func cmdUserPromote(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("vidivo user promote", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv)
	role := fs.String("role", "admin", "the new role: client, host or admin")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
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
