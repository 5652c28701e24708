package natsbroker_test

import (
	"context"
	"log"
	"net"
	"time"

	"github.com/parley-voice/parley/signaling/server"
	"github.com/parley-voice/parley/signaling/server/natsbroker"
)

// One node of a cluster: every node runs this against the same NATS server (started with
// JetStream, e.g. "nats-server -js"), and users on different nodes can call each other.
func ExampleConnect() {
	b, err := natsbroker.Connect("nats://127.0.0.1:4222")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, err := natsbroker.NewRegistry(ctx, b, "")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Config{ID: "node-1", Broker: b, Registry: reg})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", ":7000")
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.Serve(ln))
}
