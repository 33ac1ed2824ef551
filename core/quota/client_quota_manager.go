// Package quota is Kafka's client quota management (ClientQuotaManager,
// ClientRequestQuotaManager): per user and client-id byte rates for
// produce and fetch and a request-time percentage, with the quota levels,
// windows and throttle-time formula of Kafka 2.x (KIP-13, KIP-55, KIP-124,
// KIP-219).
package quota

import (
	"math"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
)

// Type says what a manager measures.
type Type int

const (
	Produce Type = iota // bytes appended (producer_byte_rate)
	Fetch               // bytes sent to consumers (consumer_byte_rate)
	Request             // handler time in percent (request_percentage)
)

func (t Type) String() string {
	switch t {
	case Produce:
		return "Produce"
	case Fetch:
		return "Fetch"
	default:
		return "Request"
	}
}

// DefaultEntity is the znode name of a default user or client-id
// (ConfigEntityName.Default).
const DefaultEntity = "<default>"

// NoQuota is the bound used when nothing is configured (Long.MaxValue).
const NoQuota = float64(math.MaxInt64)

// Config is ClientQuotaManagerConfig.
type Config struct {
	// NumSamples is quota.window.num (11: ten whole windows and the current one).
	NumSamples int
	// WindowSize is quota.window.size.seconds.
	WindowSize time.Duration
	// StaticClientIDDefault is quota.producer.default / quota.consumer.default
	// (deprecated static client-id default); NoQuota when unset.
	StaticClientIDDefault float64
}

// DefaultConfig is Kafka's default: 11 samples of 1 second, no static quota.
func DefaultConfig() Config {
	return Config{NumSamples: 11, WindowSize: time.Second, StaticClientIDDefault: NoQuota}
}

// quota types enabled (QuotaTypes), which decide the metric tags.
const (
	noQuotas                 = 0
	clientIDQuotaEnabled     = 1
	userQuotaEnabled         = 2
	userClientIDQuotaEnabled = 4
)

// inactiveSensorExpiration drops the rate of a client idle for an hour.
const inactiveSensorExpiration = time.Hour

// entity is a quota entity (KafkaQuotaEntity): user is the sanitized user
// name, client the client-id; "" means the level is absent and
// DefaultEntity stands for the default.
type entity struct{ user, client string }

// tags are the metric tags (user, client-id) naming the rate a request is
// recorded in: clients sharing a quota entity share one rate.
type tags struct{ user, client string }

type sensor struct {
	mu         sync.Mutex
	rate       rate
	lastRecord time.Time
}

// ClientQuotaManager tracks rates per quota entity and computes throttle
// times. Safe for concurrent use.
type ClientQuotaManager struct {
	cfg Config
	typ Type
	wc  windowConfig
	// maxThrottle bounds throttle times (the request quota caps them at
	// one window); 0 means unbounded.
	maxThrottle time.Duration
	now         func() time.Time
	log         *logrus.Entry

	mu        sync.RWMutex
	overrides map[entity]float64
	enabled   int
	sensors   map[tags]*sensor
	lastPurge time.Time
}

// NewClientQuotaManager returns a manager for produce or fetch byte rates.
func NewClientQuotaManager(cfg Config, typ Type) *ClientQuotaManager {
	if cfg.NumSamples < 1 {
		cfg.NumSamples = 11
	}
	if cfg.WindowSize <= 0 {
		cfg.WindowSize = time.Second
	}
	if cfg.StaticClientIDDefault <= 0 {
		cfg.StaticClientIDDefault = NoQuota
	}
	m := &ClientQuotaManager{
		cfg: cfg, typ: typ,
		wc:        windowConfig{samples: cfg.NumSamples, windowMs: cfg.WindowSize.Milliseconds()},
		now:       time.Now,
		log:       logging.For("kafka.server.ClientQuotaManager"),
		overrides: map[entity]float64{},
		sensors:   map[tags]*sensor{},
	}
	if cfg.StaticClientIDDefault != NoQuota {
		m.enabled = clientIDQuotaEnabled
	}
	return m
}

// NewClientRequestQuotaManager returns the request_percentage manager,
// whose throttle times are capped at one window.
func NewClientRequestQuotaManager(cfg Config) *ClientQuotaManager {
	cfg.StaticClientIDDefault = NoQuota
	m := NewClientQuotaManager(cfg, Request)
	m.maxThrottle = m.cfg.WindowSize
	return m
}

// SetClock replaces time.Now (tests).
func (m *ClientQuotaManager) SetClock(now func() time.Time) { m.now = now }

// Type is what the manager measures.
func (m *ClientQuotaManager) Type() Type { return m.typ }

// QuotasEnabled is true once any quota of this type was configured (it
// stays true until restart, as in Kafka).
func (m *ClientQuotaManager) QuotasEnabled() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.enabled != noQuotas
}

// MaybeRecordAndGetThrottleTimeMs records value for the client when any
// quota is enabled and returns how long to throttle it (0 within quota).
// user is the principal name (ANONYMOUS on PLAINTEXT).
func (m *ClientQuotaManager) MaybeRecordAndGetThrottleTimeMs(user, clientID string, value float64) int {
	if !m.QuotasEnabled() {
		return 0
	}
	return m.RecordAndGetThrottleTimeMs(user, clientID, value, m.now())
}

// RecordAndGetThrottleTimeMs records value at now and returns the time
// needed to bring the observed rate O back to the quota T if no more is
// recorded: X = (O - T) / T * W, W being the measured window.
func (m *ClientQuotaManager) RecordAndGetThrottleTimeMs(user, clientID string, value float64, now time.Time) int {
	t, bound, s := m.sensorFor(Sanitize(user), clientID, now)
	nowMs := now.UnixMilli()
	s.mu.Lock()
	s.rate.record(m.wc, value, nowMs)
	s.lastRecord = now
	observed := s.rate.measure(m.wc, nowMs)
	var window int64
	if observed > bound {
		window = s.rate.windowSize(m.wc, nowMs)
	}
	s.mu.Unlock()
	if observed <= bound {
		return 0
	}
	ms := ThrottleTime(observed, bound, window)
	if m.maxThrottle > 0 && ms > m.maxThrottle.Milliseconds() {
		ms = m.maxThrottle.Milliseconds()
	}
	m.log.Debugf("Quota violated for sensor (%s-%s:%s). Delay time: (%d)", m.typ, t.user, t.client, ms)
	return int(ms)
}

// ThrottleTime is QuotaUtils.throttleTime: the delay X that brings an
// observed rate down to bound over a window of windowMs, rounded.
func ThrottleTime(observed, bound float64, windowMs int64) int64 {
	return int64(math.Round((observed - bound) / bound * float64(windowMs)))
}

// RecordNoThrottle records without checking the quota.
func (m *ClientQuotaManager) RecordNoThrottle(user, clientID string, value float64) {
	now := m.now()
	_, _, s := m.sensorFor(Sanitize(user), clientID, now)
	s.mu.Lock()
	s.rate.record(m.wc, value, now.UnixMilli())
	s.lastRecord = now
	s.mu.Unlock()
}

// Unrecord takes back a value recorded at now (a throttled fetch sends
// no data, so its bytes do not count).
func (m *ClientQuotaManager) Unrecord(user, clientID string, value float64, now time.Time) {
	_, _, s := m.sensorFor(Sanitize(user), clientID, now)
	s.mu.Lock()
	s.rate.record(m.wc, -value, now.UnixMilli())
	s.mu.Unlock()
}

// MaxValueInQuotaWindow is the most that can be recorded at once without a
// certain throttle: quota * (samples-1) * window seconds. Fetch caps its
// max bytes with it.
func (m *ClientQuotaManager) MaxValueInQuotaWindow(user, clientID string) float64 {
	if !m.QuotasEnabled() {
		return math.MaxFloat64
	}
	m.mu.RLock()
	limit, ok := m.quotaLimit(m.metricTags(Sanitize(user), clientID))
	m.mu.RUnlock()
	if !ok {
		return math.MaxFloat64
	}
	return limit * float64(m.cfg.NumSamples-1) * m.cfg.WindowSize.Seconds()
}

// Quota is the bound that applies to a user and client-id (NoQuota when
// none).
func (m *ClientQuotaManager) Quota(user, clientID string) float64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if limit, ok := m.quotaLimit(m.metricTags(Sanitize(user), clientID)); ok {
		return limit
	}
	return NoQuota
}

// Rate is the current observed rate of the entity a user and client-id
// are recorded in (tests and tools).
func (m *ClientQuotaManager) Rate(user, clientID string) float64 {
	now := m.now()
	_, _, s := m.sensorFor(Sanitize(user), clientID, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate.measure(m.wc, now.UnixMilli())
}

// UpdateQuota sets (quota non-nil) or removes the quota of an entity.
// sanitizedUser is nil for a client-id-only entity, clientID nil for a
// user-only one; DefaultEntity names a default.
func (m *ClientQuotaManager) UpdateQuota(sanitizedUser, clientID *string, quota *float64) {
	e := entity{}
	if sanitizedUser != nil {
		e.user = *sanitizedUser
	}
	if clientID != nil {
		e.client = *clientID
	}
	if e.user == "" && e.client == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case e.user != "" && e.client != "":
		m.enabled |= userClientIDQuotaEnabled
	case e.user != "":
		m.enabled |= userQuotaEnabled
	default:
		m.enabled |= clientIDQuotaEnabled
	}
	if quota != nil {
		if old, ok := m.overrides[e]; !ok || old != *quota {
			m.log.Infof("Changing %s quota for %s to %v", m.typ, e, *quota)
		}
		m.overrides[e] = *quota
	} else if _, ok := m.overrides[e]; ok {
		m.log.Infof("Removing %s quota for %s", m.typ, e)
		delete(m.overrides, e)
	}
}

func (e entity) String() string {
	var parts []string
	switch e.user {
	case "":
	case DefaultEntity:
		parts = append(parts, "default user")
	default:
		parts = append(parts, "user "+e.user)
	}
	switch e.client {
	case "":
	case DefaultEntity:
		parts = append(parts, "default client-id")
	default:
		parts = append(parts, "client-id "+e.client)
	}
	if len(parts) == 2 {
		return parts[0] + " " + parts[1]
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return ""
}

// sensorFor finds the rate and bound for a request.
func (m *ClientQuotaManager) sensorFor(sanitizedUser, clientID string, now time.Time) (tags, float64, *sensor) {
	m.mu.RLock()
	t := m.metricTags(sanitizedUser, clientID)
	bound, ok := m.quotaLimit(t)
	s := m.sensors[t]
	purge := now.Sub(m.lastPurge) > inactiveSensorExpiration/6
	m.mu.RUnlock()
	if !ok {
		bound = NoQuota
	}
	if s == nil || purge {
		m.mu.Lock()
		if purge {
			m.purgeSensors(now)
		}
		if s = m.sensors[t]; s == nil {
			s = &sensor{lastRecord: now}
			m.sensors[t] = s
		}
		m.mu.Unlock()
	}
	return t, bound, s
}

// purgeSensors drops rates idle for an hour; called with mu held.
func (m *ClientQuotaManager) purgeSensors(now time.Time) {
	m.lastPurge = now
	for t, s := range m.sensors {
		s.mu.Lock()
		idle := now.Sub(s.lastRecord) > inactiveSensorExpiration
		s.mu.Unlock()
		if idle {
			delete(m.sensors, t)
		}
	}
}

// metricTags picks the entity whose rate a client is recorded in: with a
// single level of quotas that level directly, otherwise the most specific
// configured level in Kafka's order. Called with mu held.
func (m *ClientQuotaManager) metricTags(sanitizedUser, clientID string) tags {
	switch m.enabled {
	case noQuotas, clientIDQuotaEnabled:
		return tags{"", clientID}
	case userQuotaEnabled:
		return tags{sanitizedUser, ""}
	case userClientIDQuotaEnabled:
		return tags{sanitizedUser, clientID}
	}
	has := func(u, c string) bool { _, ok := m.overrides[entity{u, c}]; return ok }
	switch {
	case has(sanitizedUser, clientID): // /config/users/<user>/clients/<client-id>
		return tags{sanitizedUser, clientID}
	case has(sanitizedUser, DefaultEntity): // /config/users/<user>/clients/<default>
		return tags{sanitizedUser, clientID}
	case has(sanitizedUser, ""): // /config/users/<user>
		return tags{sanitizedUser, ""}
	case has(DefaultEntity, clientID): // /config/users/<default>/clients/<client-id>
		return tags{sanitizedUser, clientID}
	case has(DefaultEntity, DefaultEntity): // /config/users/<default>/clients/<default>
		return tags{sanitizedUser, clientID}
	case has(DefaultEntity, ""): // /config/users/<default>
		return tags{sanitizedUser, ""}
	}
	// /config/clients/<client-id>, /config/clients/<default>, static default
	return tags{"", clientID}
}

// quotaLimit is DefaultQuotaCallback.quotaLimit: the bound for a rate's
// tags, or false when none applies. Called with mu held.
func (m *ClientQuotaManager) quotaLimit(t tags) (float64, bool) {
	get := func(u, c string) (float64, bool) { q, ok := m.overrides[entity{u, c}]; return q, ok }
	var order []entity
	switch {
	case t.user != "" && t.client != "":
		order = []entity{{t.user, t.client}, {t.user, DefaultEntity}, {DefaultEntity, t.client}, {DefaultEntity, DefaultEntity}}
	case t.user != "":
		order = []entity{{t.user, ""}, {DefaultEntity, ""}}
	case t.client != "":
		order = []entity{{"", t.client}, {"", DefaultEntity}}
	default:
		return 0, false
	}
	for _, e := range order {
		if q, ok := get(e.user, e.client); ok {
			return q, true
		}
	}
	if t.user == "" && t.client != "" {
		return m.cfg.StaticClientIDDefault, true
	}
	return 0, false
}
