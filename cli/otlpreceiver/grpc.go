package otlpreceiver

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // exporters may compress (grpc-encoding: gzip)
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// grpcWindow is the fixed flow-control window of a stream and a connection: with
// dynamic windows a client could make the server buffer megabytes it has not asked
// for yet.
const grpcWindow = 256 << 10

// grpcServices are the OTLP services (opentelemetry-proto's collector/*/v1), each
// with one unary method, Export.
var grpcServices = map[string]string{
	"opentelemetry.proto.collector.trace.v1.TraceService":     SignalTraces,
	"opentelemetry.proto.collector.logs.v1.LogsService":       SignalLogs,
	"opentelemetry.proto.collector.metrics.v1.MetricsService": SignalMetrics,
}

// newGRPCServer serves the three OTLP services. Messages reach the handlers as bytes
// and are decoded by pdata there, as over HTTP, so that a message that does not
// decode gets InvalidArgument (gRPC's own decoding would answer Internal). A
// message over MaxRequestBytes gets ResourceExhausted from gRPC itself; the tap
// gives each export a decoding slot before its message is read, or
// ResourceExhausted when none is free.
func (r *Receiver) newGRPCServer() *grpc.Server {
	s := grpc.NewServer(
		grpc.MaxRecvMsgSize(MaxRequestBytes),
		grpc.MaxConcurrentStreams(maxInFlight),
		grpc.StaticStreamWindowSize(grpcWindow),
		grpc.StaticConnWindowSize(grpcWindow),
		grpc.InTapHandle(r.tapSlot),
		grpc.ForceServerCodec(rawCodec{}),
	)
	for service, signal := range grpcServices {
		s.RegisterService(&grpc.ServiceDesc{
			ServiceName: service,
			HandlerType: (*any)(nil),
			Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: r.grpcExport(signal)}},
		}, r)
	}
	return s
}

// grpcExport is the Export method of one signal's service.
func (r *Receiver) grpcExport(signal string) grpc.MethodHandler {
	return func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		var body []byte
		if err := dec(&body); err != nil {
			return nil, err
		}
		resp, err := r.export(signal, contentProtobuf, body)
		if err != nil {
			r.reject(reasonBadRequest)
			return nil, status.Errorf(codes.InvalidArgument, "cannot decode OTLP %s: %v", signal, err)
		}
		return resp, nil
	}
}

// tapSlot takes a decoding slot for an OTLP export and gives it back when the stream
// ends (its context is cancelled then, whatever the outcome).
func (r *Receiver) tapSlot(ctx context.Context, info *tap.Info) (context.Context, error) {
	if !strings.HasPrefix(info.FullMethodName, "/opentelemetry.proto.collector.") {
		return ctx, nil
	}
	release, ok := r.trySlot(0)
	if !ok {
		r.reject(reasonBusy)
		return nil, status.Error(codes.ResourceExhausted, "too many OTLP requests at once; retry later")
	}
	go func() {
		<-ctx.Done()
		release()
	}()
	return ctx, nil
}

// rawCodec hands messages to the handlers as bytes and sends their bytes back.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("otlp receiver: cannot marshal %T", v)
	}
	return b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("otlp receiver: cannot unmarshal into %T", v)
	}
	*b = append([]byte(nil), data...) // gRPC may reuse data's buffer
	return nil
}

func (rawCodec) Name() string { return "proto" }

// grpcCodeOf is the google.rpc.Status code carried by an OTLP/HTTP error answer.
func grpcCodeOf(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return codes.Unimplemented
	default:
		return codes.InvalidArgument
	}
}
