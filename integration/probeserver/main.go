// Command probeserver is the app of the idle-CPU benchmark's HTTP and TCP rows
// (docs/spec/runtime.md §19): a plain net/http server on :8080 answering GET /ready with
// 200, as most services answer a health endpoint, without a process per connection.
// busybox httpd forks one for every connection, which would bill a fork per probe to
// the container. It exits 0 on SIGTERM and is built static to run alone in a one-layer
// image.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: ":8080", Handler: mux}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "probeserver:", err)
		os.Exit(1)
	}
}
