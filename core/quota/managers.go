package quota

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gokafka/kafka/zkutil"
)

// Quota config keys of users and clients (QuotaConfigs).
const (
	ProducerByteRate       = "producer_byte_rate"
	ConsumerByteRate       = "consumer_byte_rate"
	RequestPercentage      = "request_percentage"
	ControllerMutationRate = "controller_mutation_rate"
	// IPConnectionRate is the one config of ips entities.
	IPConnectionRate = "connection_creation_rate"
)

// ValueType is the declared type of a quota config.
type ValueType int

const (
	Long ValueType = iota
	Double
	Int
)

// ConfigTypes maps each user/client quota config to its type.
var ConfigTypes = map[string]ValueType{
	ProducerByteRate:       Long,
	ConsumerByteRate:       Long,
	RequestPercentage:      Double,
	ControllerMutationRate: Double,
}

// IsClientOrUserQuotaConfig is QuotaConfigs.isClientOrUserConfig.
func IsClientOrUserQuotaConfig(name string) bool { _, ok := ConfigTypes[name]; return ok }

// Managers are the broker's client quota managers (QuotaManagers).
type Managers struct {
	Produce *ClientQuotaManager
	Fetch   *ClientQuotaManager
	Request *ClientQuotaManager
}

// ManagersConfig carries the broker settings the managers read.
type ManagersConfig struct {
	NumSamples      int           // quota.window.num
	WindowSize      time.Duration // quota.window.size.seconds
	ProducerDefault int64         // quota.producer.default (deprecated); <= 0 or MaxInt64 = none
	ConsumerDefault int64         // quota.consumer.default (deprecated)
}

// NewManagers builds the produce, fetch and request managers.
func NewManagers(c ManagersConfig) *Managers {
	base := Config{NumSamples: c.NumSamples, WindowSize: c.WindowSize}
	prod, cons := base, base
	prod.StaticClientIDDefault = staticDefault(c.ProducerDefault)
	cons.StaticClientIDDefault = staticDefault(c.ConsumerDefault)
	return &Managers{
		Produce: NewClientQuotaManager(prod, Produce),
		Fetch:   NewClientQuotaManager(cons, Fetch),
		Request: NewClientRequestQuotaManager(base),
	}
}

func staticDefault(v int64) float64 {
	if v <= 0 {
		return NoQuota
	}
	return float64(v)
}

// UpdateQuotaConfig applies the stored config of one entity
// (QuotaConfigHandler.updateQuotaConfig): each quota present is set, each
// absent one removed. sanitizedUser or sanitizedClientID is nil for a
// level the entity does not have.
func (q *Managers) UpdateQuotaConfig(sanitizedUser, sanitizedClientID *string, config map[string]string) error {
	var clientID *string
	if sanitizedClientID != nil {
		c := Desanitize(*sanitizedClientID)
		if *sanitizedClientID == DefaultEntity {
			c = DefaultEntity
		}
		clientID = &c
	}
	var firstErr error
	value := func(key string, typ ValueType) *float64 {
		s, ok := config[key]
		if !ok {
			return nil
		}
		var v float64
		var err error
		if typ == Long {
			var n int64
			n, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			v = float64(n)
		} else {
			v, err = strconv.ParseFloat(strings.TrimSpace(s), 64)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("invalid value %q for %s", s, key)
			}
			return nil
		}
		return &v
	}
	q.Produce.UpdateQuota(sanitizedUser, clientID, value(ProducerByteRate, Long))
	q.Fetch.UpdateQuota(sanitizedUser, clientID, value(ConsumerByteRate, Long))
	q.Request.UpdateQuota(sanitizedUser, clientID, value(RequestPercentage, Double))
	return firstErr
}

// ApplyEntityConfig applies a /config/clients/<id> or /config/users/<path>
// config, path being <user> or <user>/clients/<client-id> (sanitized, as
// in the znode path).
func (q *Managers) ApplyEntityConfig(entityType, path string, config map[string]string) error {
	switch entityType {
	case "clients":
		return q.UpdateQuotaConfig(nil, &path, config)
	case "users":
		parts := strings.Split(path, "/")
		switch {
		case len(parts) == 1:
			return q.UpdateQuotaConfig(&parts[0], nil, config)
		case len(parts) == 3 && parts[1] == "clients":
			return q.UpdateQuotaConfig(&parts[0], &parts[2], config)
		}
		return fmt.Errorf("Invalid quota entity path: %s", path)
	}
	return fmt.Errorf("unexpected quota entity type %s", entityType)
}

// Sanitize is Kafka's Sanitizer.sanitize: URL-encoding with "%20" for a
// space and "%2A" for '*', so any user or client-id is a safe znode name.
func Sanitize(name string) string { return zkutil.SanitizeEntityName(name) }

// Desanitize is Sanitizer.desanitize (URL-decoding; '+' is a space).
func Desanitize(name string) string { return zkutil.DesanitizeEntityName(name) }
