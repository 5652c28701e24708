// parley serve's NATS credentials and TLS, and its data directory.

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
)

// natsFlags are the -nats-* authentication and TLS flags of parley serve.
type natsFlags struct {
	creds, nkey, user, pass, ca, cert, key *string
}

func (n *natsFlags) add(fs *flag.FlagSet) {
	n.creds = fs.String("nats-creds", "", "NATS user credentials `file` (JWT and nkey seed, from 'nsc generate creds')")
	n.nkey = fs.String("nats-nkey", "", "NATS nkey seed `file` (a user seed, SU…), for servers configured with nkey users")
	n.user = fs.String("nats-user", "", "NATS `user` name for servers with user/password authorization (password from $PARLEY_NATS_PASSWORD)")
	n.ca = fs.String("nats-tls-ca", "", "CA certificate `file` (PEM) that signed the NATS server's certificate; turns TLS on")
	n.cert = fs.String("nats-tls-cert", "", "client certificate `file` (PEM) for NATS servers that verify clients (with -nats-tls-key)")
	n.key = fs.String("nats-tls-key", "", "client private key `file` (PEM) for -nats-tls-cert")
}

// options turns the flags into nats.go options; secrets are read from files or the
// environment, never from the command line (where ps would show them).
func (n *natsFlags) options(url string) ([]nats.Option, error) {
	set := *n.creds != "" || *n.nkey != "" || *n.user != "" || *n.ca != "" || *n.cert != "" || *n.key != ""
	if url == "" {
		if set {
			return nil, usagef("the -nats-* flags need -nats")
		}
		return nil, nil
	}
	var opts []nats.Option
	auth := 0
	if *n.creds != "" {
		auth++
		if _, err := os.Stat(*n.creds); err != nil {
			return nil, fmt.Errorf("-nats-creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(*n.creds))
	}
	if *n.nkey != "" {
		auth++
		o, err := nats.NkeyOptionFromSeed(*n.nkey)
		if err != nil {
			return nil, fmt.Errorf("-nats-nkey %s: %w", *n.nkey, err)
		}
		opts = append(opts, o)
	}
	if *n.user != "" {
		auth++
		pass := os.Getenv("PARLEY_NATS_PASSWORD")
		if pass == "" {
			return nil, usagef("-nats-user needs the password in $PARLEY_NATS_PASSWORD")
		}
		opts = append(opts, nats.UserInfo(*n.user, pass))
	}
	if auth > 1 {
		return nil, usagef("give one of -nats-creds, -nats-nkey and -nats-user")
	}
	if (*n.cert == "") != (*n.key == "") {
		return nil, usagef("-nats-tls-cert and -nats-tls-key go together")
	}
	if *n.ca != "" {
		opts = append(opts, nats.RootCAs(*n.ca))
	}
	if *n.cert != "" {
		opts = append(opts, nats.ClientCert(*n.cert, *n.key))
	}
	return opts, nil
}

// stateDir returns dir, or the default data directory: $XDG_STATE_HOME/parley, else
// ~/.local/state/parley.
func stateDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "parley"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", usagef("no home directory (%v): pass -data", err)
	}
	return filepath.Join(home, ".local", "state", "parley"), nil
}
