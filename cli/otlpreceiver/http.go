package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The OTLP/HTTP content types.
const (
	contentProtobuf = "application/x-protobuf"
	contentJSON     = "application/json"
)

// errTooLarge is a body over MaxRequestBytes, compressed or not.
var errTooLarge = fmt.Errorf("request body larger than %d bytes", MaxRequestBytes)

// ServeHTTP answers POST /v1/traces, /v1/logs and /v1/metrics as the OTLP/HTTP
// specification says: 200 with an export response in the request's encoding, 400
// for a body that does not decode, 413 over MaxRequestBytes, 415 for another content
// type or encoding, 429 (Retry-After) when too many requests are being decoded.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	signal, ok := strings.CutPrefix(req.URL.Path, "/v1/")
	if !ok || (signal != SignalTraces && signal != SignalLogs && signal != SignalMetrics) {
		writeStatus(w, contentJSON, http.StatusNotFound, "unknown OTLP path "+req.URL.Path+"; use /v1/traces, /v1/logs or /v1/metrics")
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, contentJSON, http.StatusMethodNotAllowed, "OTLP/HTTP takes POST")
		return
	}
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if ct != contentProtobuf && ct != contentJSON {
		r.reject(reasonMediaType)
		writeStatus(w, contentJSON, http.StatusUnsupportedMediaType, "unsupported content type "+strconv.Quote(ct)+"; use application/x-protobuf or application/json")
		return
	}
	if enc := req.Header.Get("Content-Encoding"); enc != "" && enc != "identity" && enc != "gzip" {
		r.reject(reasonBadEncoding)
		writeStatus(w, ct, http.StatusUnsupportedMediaType, "unsupported content encoding "+strconv.Quote(enc)+"; use gzip or none")
		return
	}
	if req.ContentLength > MaxRequestBytes {
		r.reject(reasonTooLarge)
		writeStatus(w, ct, http.StatusRequestEntityTooLarge, errTooLarge.Error())
		return
	}
	release, ok := r.trySlot(slotWait)
	if !ok {
		r.reject(reasonBusy)
		w.Header().Set("Retry-After", "1")
		writeStatus(w, ct, http.StatusTooManyRequests, "too many OTLP requests at once; retry later")
		return
	}
	defer release()
	body, err := readBody(w, req)
	switch {
	case errors.Is(err, errTooLarge):
		r.reject(reasonTooLarge)
		writeStatus(w, ct, http.StatusRequestEntityTooLarge, err.Error())
		return
	case err != nil:
		r.reject(reasonBadRequest)
		writeStatus(w, ct, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	}
	resp, err := r.export(signal, ct, body)
	if err != nil {
		r.reject(reasonBadRequest)
		writeStatus(w, ct, http.StatusBadRequest, fmt.Sprintf("cannot decode OTLP %s as %s: %v", signal, ct, err))
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

// readBody reads at most MaxRequestBytes, decompressing gzip with the same cap (a
// small compressed body may inflate to gigabytes).
func readBody(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	var src io.Reader = http.MaxBytesReader(w, req.Body, MaxRequestBytes)
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, tooLargeOr(err)
		}
		defer zr.Close()
		src = zr
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxRequestBytes+1))
	if err != nil {
		return nil, tooLargeOr(err)
	}
	if len(data) > MaxRequestBytes {
		return nil, errTooLarge
	}
	return data, nil
}

func tooLargeOr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return err
}

// export decodes one request of a signal, ingests it, and returns the encoded
// export response.
func (r *Receiver) export(signal, ct string, body []byte) ([]byte, error) {
	isJSON := ct == contentJSON
	raw := body
	if isJSON {
		raw = nil
	}
	switch signal {
	case SignalTraces:
		req := ptraceotlp.NewExportRequest()
		if err := decode(req.UnmarshalProto, req.UnmarshalJSON, isJSON, body); err != nil {
			return nil, err
		}
		r.ingestTraces(req.Traces(), raw)
		return encode(ptraceotlp.NewExportResponse().MarshalProto, ptraceotlp.NewExportResponse().MarshalJSON, isJSON)
	case SignalLogs:
		req := plogotlp.NewExportRequest()
		if err := decode(req.UnmarshalProto, req.UnmarshalJSON, isJSON, body); err != nil {
			return nil, err
		}
		r.ingestLogs(req.Logs(), raw)
		return encode(plogotlp.NewExportResponse().MarshalProto, plogotlp.NewExportResponse().MarshalJSON, isJSON)
	default:
		req := pmetricotlp.NewExportRequest()
		if err := decode(req.UnmarshalProto, req.UnmarshalJSON, isJSON, body); err != nil {
			return nil, err
		}
		r.ingestMetrics(req.Metrics(), raw)
		return encode(pmetricotlp.NewExportResponse().MarshalProto, pmetricotlp.NewExportResponse().MarshalJSON, isJSON)
	}
}

func decode(fromProto, fromJSON func([]byte) error, isJSON bool, body []byte) error {
	if isJSON {
		return fromJSON(body)
	}
	return fromProto(body)
}

func encode(toProto, toJSON func() ([]byte, error), isJSON bool) ([]byte, error) {
	if isJSON {
		return toJSON()
	}
	return toProto()
}

// writeStatus answers an error with a google.rpc.Status in the request's encoding,
// as the OTLP/HTTP specification asks.
func writeStatus(w http.ResponseWriter, ct string, code int, msg string) {
	st := &spb.Status{Code: int32(grpcCodeOf(code)), Message: msg}
	var body []byte
	if ct == contentProtobuf {
		body, _ = proto.Marshal(st)
	} else {
		ct = contentJSON
		body, _ = protojson.Marshal(st)
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(code)
	_, _ = io.Copy(w, bytes.NewReader(body))
}
