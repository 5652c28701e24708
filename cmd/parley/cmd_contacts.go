// parley contacts: the key-continuity store of one local user (who you called, under which
// identity key, and whether you verified it by SAS).

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
)

// contactStorePath is the key-continuity store of local user as in config directory dir: one
// file per local user, so two users on one machine (two processes) never share a file.
func contactStorePath(dir, as string) string {
	return filepath.Join(dir, "peers-"+as+".json")
}

func cmdContacts(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "contacts", "list | show NAME | verify NAME | forget NAME",
		"Show and manage the identity keys of the people you called (the key-continuity store).\n\n"+
			"Every call remembers the peer's identity key on first contact and warns when it changes.\n"+
			"'verify NAME' marks the remembered key as verified: do it only after you compared the SAS\n"+
			"of a call with NAME (both saw the same emoji) or their fingerprint ('parley id show' on\n"+
			"their side). A call to a verified contact whose key changed is refused; if they really\n"+
			"have a new key, 'forget NAME', call again and compare the SAS.")
	as := fs.String("as", os.Getenv(envUser), "your user `name`: each local user has their own contacts (environment: $"+envUser+")")
	dir := fs.String("dir", "", "config `directory` (default $"+envDir+", else $XDG_CONFIG_HOME/parley)")
	var verb string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	var pos []string
	for { // flags before or after the name
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if verb == "" && len(pos) > 0 {
		verb, pos = pos[0], pos[1:]
	}
	if *as == "" || !signaling.ValidName(*as) {
		return usagef("contacts: say who you are with -as NAME")
	}
	want := map[string]int{"list": 0, "show": 1, "verify": 1, "forget": 1}
	n, ok := want[verb]
	if !ok {
		return usagef("contacts: say list, show NAME, verify NAME or forget NAME")
	}
	if len(pos) != n {
		return usagef("contacts %s takes %d name(s), got %q", verb, n, pos)
	}
	d := configDir(*dir)
	if d == "" {
		return usagef("no config directory: pass -dir")
	}
	store, err := e2ee.OpenStore(contactStorePath(d, *as))
	if err != nil {
		return err
	}
	out := env.Stdout
	status := func(r e2ee.PeerRecord) string {
		if r.Verified {
			return "verified " + r.VerifiedAt.Local().Format(time.DateTime)
		}
		return "not verified"
	}
	switch verb {
	case "list":
		recs := store.List()
		if len(recs) == 0 {
			fmt.Fprintf(out, "no contacts yet for %s\n", *as)
		}
		for _, r := range recs {
			fmt.Fprintf(out, "%-20s %s  %s\n", r.Name, r.Key.Fingerprint(), status(r))
		}
		return nil
	case "forget":
		if _, err := store.Lookup(pos[0]); errors.Is(err, e2ee.ErrUnknownPeer) {
			return fmt.Errorf("no contact %q", pos[0])
		}
		if err := store.Forget(pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(out, "forgot %s: the next call is a first contact again (compare the SAS)\n", pos[0])
		return nil
	}
	r, err := store.Lookup(pos[0])
	if errors.Is(err, e2ee.ErrUnknownPeer) {
		return fmt.Errorf("no contact %q: call them first", pos[0])
	} else if err != nil {
		return err
	}
	if verb == "verify" {
		if err := store.MarkVerified(r.Name, r.Key); err != nil {
			return err
		}
		if r, err = store.Lookup(r.Name); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "contact:     %s\nfingerprint: %s\nfirst seen:  %s\nstatus:      %s\n",
		r.Name, r.Key.Fingerprint(), r.FirstSeen.Local().Format(time.DateTime), status(r))
	return nil
}
