// Command otelclient is the app of the observability integration tests (docs/spec/runtime.md
// §17 item 93): with the official OpenTelemetry Go SDK it exports a trace over
// OTLP/HTTP, another over OTLP/gRPC and log records over OTLP/HTTP, all to the
// endpoint lsctl injects (OTEL_EXPORTER_OTLP_ENDPOINT; gRPC on the same host, port
// 4317), says so on stdout, then waits for SIGTERM. It is built static and runs alone
// in a one-layer image.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	ctx := context.Background()
	for name, export := range map[string]func(context.Context) error{
		"http traces": httpTraces, "grpc traces": grpcTraces, "http logs": httpLogs,
	} {
		if err := retry(ctx, export); err != nil {
			fmt.Fprintf(os.Stderr, "otelclient: %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("otelclient: exported %s\n", name)
	}
	<-sigs
}

// retry gives the receiver 30 s: the SDK's own retries cover a refused connection
// only for some errors.
func retry(ctx context.Context, export func(context.Context) error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := export(ctx)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// traceWith records a checkout with a failing child span through one exporter.
func traceWith(ctx context.Context, exp sdktrace.SpanExporter, root string) error {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	tr := tp.Tracer("otelclient")
	ctx, span := tr.Start(ctx, root)
	span.SetAttributes(attribute.String("order.id", "42"))
	_, child := tr.Start(ctx, "charge card")
	time.Sleep(5 * time.Millisecond)
	child.SetStatus(codes.Error, "card declined")
	child.End()
	span.End()
	if err := tp.ForceFlush(ctx); err != nil {
		return err
	}
	return tp.Shutdown(ctx)
}

func httpTraces(ctx context.Context) error {
	exp, err := otlptracehttp.New(ctx) // endpoint, protocol and TLS from the environment
	if err != nil {
		return err
	}
	return traceWith(ctx, exp, "checkout over http")
}

func grpcTraces(ctx context.Context) error {
	addr, err := grpcEndpoint()
	if err != nil {
		return err
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
	if err != nil {
		return err
	}
	return traceWith(ctx, exp, "checkout over grpc")
}

// grpcEndpoint is the injected endpoint's host on OTLP/gRPC's port.
func grpcEndpoint() (string, error) {
	u, err := url.Parse(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	if err != nil || u.Hostname() == "" {
		return "", errors.New("OTEL_EXPORTER_OTLP_ENDPOINT is not set to a URL")
	}
	return net.JoinHostPort(u.Hostname(), "4317"), nil
}

func httpLogs(ctx context.Context) error {
	exp, err := otlploghttp.New(ctx)
	if err != nil {
		return err
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	var rec log.Record
	rec.SetTimestamp(time.Now())
	rec.SetSeverity(log.SeverityWarn)
	rec.SetSeverityText("WARN")
	rec.SetBody(attribute.StringValue("payment retried by the otel sdk"))
	rec.AddAttributes(attribute.String("order.id", "42"))
	lp.Logger("otelclient").Emit(ctx, rec)
	if err := lp.ForceFlush(ctx); err != nil {
		return err
	}
	return lp.Shutdown(ctx)
}
