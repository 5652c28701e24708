package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/parley-voice/parley/signaling/server"
)

// A single node with an embedded TURN server whose credentials it hands to clients.
func ExampleNew() {
	secret := []byte("change me")
	turn, err := server.StartTURN(server.TURNServerConfig{Secret: secret, UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer turn.Close()
	srv, err := server.New(server.Config{TURN: server.TURNConfig{Secret: secret, URLs: turn.URLs(""), TTL: 10 * time.Minute}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + server.PathHealth)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(srv.Shutdown(ctx), <-done)
	// Output:
	// 200 OK
	// <nil> <nil>
}
