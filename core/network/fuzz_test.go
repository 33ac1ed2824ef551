package network

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzDecodeRequest feeds arbitrary frames to the request decoder: it may
// reject them but must never panic, since every broker connection runs it.
func FuzzDecodeRequest(f *testing.F) {
	for key := int16(0); key <= 60; key++ {
		req := kmsg.RequestForKey(key)
		if req == nil {
			continue
		}
		for _, v := range []int16{0, req.MaxVersion()} {
			req.SetVersion(v)
			frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz")).AppendRequest(nil, req, 1)
			f.Add(frame[4:])
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		req, err := decodeRequest(frame)
		if err == nil && req.Body != nil {
			resp := req.Body.ResponseKind()
			resp.SetVersion(req.Header.APIVersion)
			AppendResponse(nil, req.Header, resp)
		}
	})
}
