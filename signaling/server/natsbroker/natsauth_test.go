package natsbroker

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/parley-voice/parley/signaling"
)

// NodePermissions is the NATS authorization a Parley node needs, as documented in the
// README's security model: its routing subjects, request replies, and the name registry's
// key-value bucket (stream KV_parley_users) through the JetStream API.
const nodePermissions = `{
      publish: ["parley.user.>", "_INBOX.>", "$KV.parley_users.>",
                "$JS.API.INFO", "$JS.API.STREAM.INFO.KV_parley_users", "$JS.API.STREAM.CREATE.KV_parley_users",
                "$JS.API.STREAM.UPDATE.KV_parley_users", "$JS.API.STREAM.MSG.GET.KV_parley_users",
                "$JS.API.DIRECT.GET.KV_parley_users.>"]
      subscribe: ["parley.user.>", "_INBOX.>"]
    }`

// writePEM writes der as a PEM block of type typ to dir/name and returns the path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testPKI makes a CA and, signed by it, a server certificate for 127.0.0.1 and a client
// certificate; it returns the PEM file paths.
func testPKI(t *testing.T) (ca, srvCert, srvKey, cliCert, cliKey string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "parley test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", kd)
	}
	srvCert, srvKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	cliCert, cliKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER), srvCert, srvKey, cliCert, cliKey
}

// startSecureNATS runs nats-server with TLS (client certificates verified), JetStream and
// an authorization block: the node user (nkey) gets nodePermissions, "stranger" (password
// "pw") may only use chat.>.
func startSecureNATS(t *testing.T, nodePub string) (url, ca, cliCert, cliKey string) {
	t.Helper()
	ca, srvCert, srvKey, cliCert, cliKey := testPKI(t)
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "nats.conf")
	body := `listen: "127.0.0.1:` + strconv.Itoa(port) + `"
jetstream { store_dir: "` + t.TempDir() + `" }
tls { cert_file: "` + srvCert + `", key_file: "` + srvKey + `", ca_file: "` + ca + `", verify: true }
authorization {
  users = [
    { nkey: "` + nodePub + `", permissions: ` + nodePermissions + ` }
    { user: "stranger", password: "pw", permissions: { publish: ["chat.>", "_INBOX.>"], subscribe: ["chat.>", "_INBOX.>"] } }
  ]
}
`
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out syncBuf
	p := launchNATS(t, port, &out, "-c", conf)
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("nats-server:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return p.url, ca, cliCert, cliKey
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not come up: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond) // no readiness signal from the process
	}
}

// TestNATSAuthorization is issue 15 item 2 against a real nats-server with TLS and
// authorization: a node without credentials (or without TLS) is refused; nodes with their
// nkey and the documented permissions carry a call; a stranger with an account of its own can
// neither read invites on parley.user.>, nor publish forged hang-ups, nor rewrite the name
// registry.
func TestNATSAuthorization(t *testing.T) {
	checkGoroutines(t)
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(t.TempDir(), "node.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	url, ca, cert, key := startSecureNATS(t, pub)
	tlsOpts := []nats.Option{nats.RootCAs(ca), nats.ClientCert(cert, key)}

	if _, err := Connect(url, append(tlsOpts, nats.MaxReconnects(0))...); err == nil {
		t.Fatal("a node without credentials connected")
	} else {
		t.Logf("node without credentials: %v", err)
	}
	nkeyOpt, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Connect(url, nkeyOpt, nats.MaxReconnects(0)); err == nil {
		t.Fatal("a node without TLS connected")
	} else {
		t.Logf("node without TLS: %v", err)
	}

	n1 := startNode(t, url, "node-1", append(tlsOpts, nkeyOpt)...)
	n2 := startNode(t, url, "node-2", append(tlsOpts, nkeyOpt)...)
	a := dial(t, n1.url, "alice", ident(t), "")
	b := dial(t, n2.url, "bob", ident(t), "")
	call := callID(t)
	_ = a.Invite(call, "bob", []byte{1})
	expect(t, a, signaling.TypeRinging)
	expect(t, b, signaling.TypeIncoming)
	_ = b.Accept(call, []byte{2})
	expect(t, b, signaling.TypeConnected)
	expect(t, a, signaling.TypeAccepted)

	// The stranger: valid TLS, its own password, none of Parley's subjects.
	errc := make(chan error, 8)
	sc, err := nats.Connect(url, append(tlsOpts, nats.UserInfo("stranger", "pw"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errc <- err }))...)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	sub, err := sc.SubscribeSync("parley.user.>")
	if err != nil {
		t.Fatal(err)
	}
	_ = sc.Publish("parley.user.bob", []byte(`{"k":"hangup"}`))
	_ = sc.Publish("$KV.parley_users.alice", make([]byte, 32))
	_ = sc.Flush()
	var refused []string
	for range 3 {
		select {
		case err := <-errc:
			refused = append(refused, err.Error())
		case <-time.After(5 * time.Second):
			t.Fatalf("nats-server reported %d permission violations, want 3: %q", len(refused), refused)
		}
	}
	t.Logf("stranger: %q", refused)
	for _, e := range refused {
		if !strings.Contains(strings.ToLower(e), "permissions violation") {
			t.Fatalf("not a permission violation: %s", e)
		}
	}
	_ = a.Invite(callID(t), "bob", []byte{1}) // would be visible on parley.user.bob
	expect(t, a, signaling.TypeBusy)          // bob is in the call
	if m, err := sub.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatalf("stranger read %s", m.Data)
	}
	// The call is still up: bob's relay reaches alice.
	_ = b.Relay(call, []byte("still here"))
	if f := expect(t, a, signaling.TypeRelay); string(f.Data) != "still here" {
		t.Fatalf("relay %q", f.Data)
	}
}

// syncBuf is a bytes.Buffer safe for a child process's two output pipes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
