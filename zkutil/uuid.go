package zkutil

import (
	"crypto/rand"
	"encoding/base64"
)

// GenerateUUID returns a random (version 4) UUID as Kafka prints ids: 22
// characters of URL-safe base64 without padding (Uuid.toString, cluster ids).
func GenerateUUID() string {
	for {
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		s := base64.RawURLEncoding.EncodeToString(b[:])
		// Ids starting with '-' confuse command-line parsers; Kafka 3.x avoids them too.
		if s[0] != '-' {
			return s
		}
	}
}
