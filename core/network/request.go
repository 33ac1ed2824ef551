// Package network is the broker's SocketServer: it accepts connections,
// reads size-prefixed request frames, parses the request header, hands each
// request to the API layer and writes the responses back in order.
package network

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequestHeader is the Kafka request header (versions 0 to 2).
type RequestHeader struct {
	APIKey        int16
	APIVersion    int16
	CorrelationID int32
	ClientID      string
	// Flexible is true when the header carried tagged fields (header v2),
	// which also means the response header is v1 (except ApiVersions).
	Flexible bool
}

// Request is one decoded request as handed to the API layer.
type Request struct {
	Header RequestHeader
	// Body is nil when the API key or version is unknown; the handler then
	// answers as Kafka does (UNSUPPORTED_VERSION for ApiVersions, otherwise
	// the connection is closed).
	Body kmsg.Request
	// ClientHost is the remote address without port, used by tools that
	// report where a client connects from.
	ClientHost string
	// ListenerName is the name of the listener the request arrived on.
	ListenerName string
	// Size is the frame size in bytes, for metrics and quotas.
	Size int
	// Principal is the authenticated user: the SASL user on a SASL
	// listener ("User:alice"), the mapped certificate DN of an SSL client
	// ("User:CN=alice,OU=x"); "" on PLAINTEXT listeners and for an SSL
	// client without certificate, i.e. User:ANONYMOUS.
	Principal string
}

// ErrMalformedRequest marks frames whose header or body cannot be parsed;
// the connection that sent them is closed.
var ErrMalformedRequest = errors.New("malformed request")

// ParseRequestHeader decodes the header at the start of frame and returns it
// with the offset where the body begins. supported reports whether the
// version is one this broker serves; for unsupported versions the header
// is still parsed as far as it can be so that an error can be returned.
func ParseRequestHeader(frame []byte) (RequestHeader, int, error) {
	var h RequestHeader
	if len(frame) < 8 {
		return h, 0, fmt.Errorf("%w: frame of %d bytes is shorter than a request header", ErrMalformedRequest, len(frame))
	}
	h.APIKey = int16(binary.BigEndian.Uint16(frame[0:]))
	h.APIVersion = int16(binary.BigEndian.Uint16(frame[2:]))
	h.CorrelationID = int32(binary.BigEndian.Uint32(frame[4:]))
	pos := 8
	// ControlledShutdown v0 used a header without client id.
	if h.APIKey == 7 && h.APIVersion == 0 {
		return h, pos, nil
	}
	if len(frame) < pos+2 {
		return h, 0, fmt.Errorf("%w: truncated client id", ErrMalformedRequest)
	}
	n := int(int16(binary.BigEndian.Uint16(frame[pos:])))
	pos += 2
	if n > 0 {
		if len(frame) < pos+n {
			return h, 0, fmt.Errorf("%w: truncated client id", ErrMalformedRequest)
		}
		h.ClientID = string(frame[pos : pos+n])
		pos += n
	}
	if req := kmsg.RequestForKey(h.APIKey); req != nil && h.APIVersion >= 0 && h.APIVersion <= req.MaxVersion() {
		req.SetVersion(h.APIVersion)
		if req.IsFlexible() {
			h.Flexible = true
			var err error
			pos, err = skipTaggedFields(frame, pos)
			if err != nil {
				return h, 0, err
			}
		}
	}
	return h, pos, nil
}

// skipTaggedFields skips a tagged-field section (unsigned varint count, then
// for each field an unsigned varint tag, an unsigned varint size and data).
func skipTaggedFields(b []byte, pos int) (int, error) {
	count, n := binary.Uvarint(b[pos:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad tagged field count", ErrMalformedRequest)
	}
	pos += n
	for i := uint64(0); i < count; i++ {
		_, n = binary.Uvarint(b[pos:])
		if n <= 0 {
			return 0, fmt.Errorf("%w: bad tag", ErrMalformedRequest)
		}
		pos += n
		size, n := binary.Uvarint(b[pos:])
		if n <= 0 || uint64(len(b)-pos-n) < size {
			return 0, fmt.Errorf("%w: bad tagged field size", ErrMalformedRequest)
		}
		pos += n + int(size)
	}
	return pos, nil
}

// AppendResponse appends a full response frame (size, header, body) to dst.
// ApiVersions always uses response header v0 so that clients probing with an
// unknown version can still read the answer.
func AppendResponse(dst []byte, h RequestHeader, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.CorrelationID))
	if h.Flexible && h.APIKey != 18 {
		dst = append(dst, 0) // empty tagged fields
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
