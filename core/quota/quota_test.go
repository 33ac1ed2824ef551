package quota

import (
	"math"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestRateMeasuresOverAtLeastSamplesMinusOneWindows(t *testing.T) {
	c := windowConfig{samples: 11, windowMs: 1000}
	var r rate
	r.record(c, 1000, 0)
	// One sample only: the window is stretched to 10 full windows.
	if got := r.measure(c, 0); got != 100 {
		t.Fatalf("rate after one record = %v, want 100", got)
	}
	if w := r.windowSize(c, 500); w != 10500 {
		t.Fatalf("window = %d, want 10500", w)
	}
	// Recording every second for 20 s: old samples are reused and the
	// window spans 10-11 s.
	for s := int64(1); s <= 20; s++ {
		r.record(c, 1000, s*1000)
	}
	got := r.measure(c, 20000)
	if got < 900 || got > 1100 {
		t.Fatalf("steady rate = %v, want about 1000/s", got)
	}
	// After the whole span passes without records everything expires.
	if got := r.measure(c, 20000+11000); got != 0 {
		t.Fatalf("rate after idle span = %v, want 0", got)
	}
}

func TestThrottleTimeFormula(t *testing.T) {
	// O=200, T=100, W=10 s: X = (200-100)/100 * 10 s.
	if got := ThrottleTime(200, 100, 10000); got != 10000 {
		t.Fatalf("got %d", got)
	}
	if got := ThrottleTime(150.4, 100, 1000); got != 504 {
		t.Fatalf("got %d", got)
	}
}

func TestRecordAndThrottle(t *testing.T) {
	m := NewClientQuotaManager(DefaultConfig(), Produce)
	now := time.UnixMilli(1_000_000)
	m.SetClock(func() time.Time { return now })
	if got := m.MaybeRecordAndGetThrottleTimeMs("ANONYMOUS", "c1", 1e6); got != 0 {
		t.Fatalf("no quota configured: throttle %d", got)
	}
	m.UpdateQuota(nil, ptr("c1"), ptr(100.0))
	// 2000 bytes over the minimum 10 s window is 200 B/s: double the quota.
	if got := m.RecordAndGetThrottleTimeMs("ANONYMOUS", "c1", 2000, now); got != 10000 {
		t.Fatalf("throttle = %d, want 10000", got)
	}
	// Another client-id is not affected.
	if got := m.RecordAndGetThrottleTimeMs("ANONYMOUS", "c2", 500, now); got != 0 {
		t.Fatalf("c2 throttled %d", got)
	}
	// Raising the quota applies to the existing rate at once.
	m.UpdateQuota(nil, ptr("c1"), ptr(1000.0))
	if got := m.RecordAndGetThrottleTimeMs("ANONYMOUS", "c1", 1, now); got != 0 {
		t.Fatalf("after raising the quota: throttle %d", got)
	}
	// Removing the override falls back to no quota.
	m.UpdateQuota(nil, ptr("c1"), nil)
	if q := m.Quota("ANONYMOUS", "c1"); q != NoQuota {
		t.Fatalf("quota after removal = %v", q)
	}
}

func TestUnrecordTakesBackAFetch(t *testing.T) {
	m := NewClientQuotaManager(DefaultConfig(), Fetch)
	now := time.UnixMilli(5_000_000)
	m.SetClock(func() time.Time { return now })
	m.UpdateQuota(nil, ptr(DefaultEntity), ptr(100.0))
	if got := m.RecordAndGetThrottleTimeMs("u", "any", 3000, now); got != 20000 {
		t.Fatalf("throttle = %d, want 20000", got)
	}
	m.Unrecord("u", "any", 3000, now)
	if r := m.Rate("u", "any"); r != 0 {
		t.Fatalf("rate after unrecord = %v", r)
	}
	if got := m.MaxValueInQuotaWindow("u", "any"); got != 1000 {
		t.Fatalf("max value in window = %v, want 100*10", got)
	}
}

func TestRequestQuotaIsBoundedByOneWindow(t *testing.T) {
	m := NewClientRequestQuotaManager(DefaultConfig())
	now := time.UnixMilli(7_000_000)
	m.UpdateQuota(ptr(DefaultEntity), nil, ptr(1.0))
	// 500 % of one second recorded: far over 1 %, but capped at 1 s.
	if got := m.RecordAndGetThrottleTimeMs("bob", "x", 500, now); got != 1000 {
		t.Fatalf("throttle = %d, want 1000", got)
	}
}

// A client that waits out every throttle converges on the quota.
func TestThrottledClientConvergesOnQuota(t *testing.T) {
	m := NewClientQuotaManager(DefaultConfig(), Produce)
	m.UpdateQuota(nil, ptr("p"), ptr(10000.0))
	start := time.UnixMilli(10_000_000)
	now := start
	total := 0.0
	for now.Sub(start) < 120*time.Second {
		total += 4000
		throttle := m.RecordAndGetThrottleTimeMs("ANONYMOUS", "p", 4000, now)
		now = now.Add(5*time.Millisecond + time.Duration(throttle)*time.Millisecond)
	}
	got := total / now.Sub(start).Seconds()
	if math.Abs(got-10000)/10000 > 0.1 {
		t.Fatalf("average rate %v, want 10000 within 10%%", got)
	}
}

func TestQuotaPrecedence(t *testing.T) {
	m := NewClientQuotaManager(DefaultConfig(), Produce)
	set := func(u, c string, q float64) {
		var up, cp *string
		if u != "" {
			up = &u
		}
		if c != "" {
			cp = &c
		}
		m.UpdateQuota(up, cp, &q)
	}
	d := DefaultEntity
	// Highest number = lowest precedence; add from lowest to highest and
	// check that each new level wins.
	levels := []struct {
		u, c string
		q    float64
	}{
		{"", d, 8},       // /config/clients/<default>
		{"", "c", 7},     // /config/clients/c
		{d, "", 6},       // /config/users/<default>
		{d, d, 5},        // /config/users/<default>/clients/<default>
		{d, "c", 4},      // /config/users/<default>/clients/c
		{"alice", "", 3}, // /config/users/alice
		{"alice", d, 2},  // /config/users/alice/clients/<default>
		{"alice", "c", 1},
	}
	for _, l := range levels {
		set(l.u, l.c, l.q)
		if got := m.Quota("alice", "c"); got != l.q {
			t.Fatalf("after setting %q/%q: quota %v, want %v", l.u, l.c, got, l.q)
		}
	}
	// Other principals and client-ids fall to the levels that match them.
	if got := m.Quota("bob", "c"); got != 4 {
		t.Fatalf("bob/c = %v, want 4 (<default> user, client c)", got)
	}
	if got := m.Quota("bob", "other"); got != 5 {
		t.Fatalf("bob/other = %v, want 5", got)
	}
	if got := m.Quota("alice", "other"); got != 2 {
		t.Fatalf("alice/other = %v, want 2", got)
	}
}

func TestUserQuotaIsSharedByItsClients(t *testing.T) {
	m := NewClientQuotaManager(DefaultConfig(), Produce)
	now := time.UnixMilli(20_000_000)
	m.UpdateQuota(ptr("alice"), nil, ptr(100.0))
	if got := m.RecordAndGetThrottleTimeMs("alice", "c1", 1000, now); got != 0 {
		t.Fatalf("c1 throttled %d", got)
	}
	// c2 of the same user shares the 100 B/s: 2000 over 10 s.
	if got := m.RecordAndGetThrottleTimeMs("alice", "c2", 1000, now); got != 10000 {
		t.Fatalf("c2 throttle = %d, want 10000", got)
	}
	if got := m.RecordAndGetThrottleTimeMs("bob", "c2", 5000, now); got != 0 {
		t.Fatalf("bob has no quota, throttled %d", got)
	}
}

func TestStaticClientDefault(t *testing.T) {
	m := NewManagers(ManagersConfig{NumSamples: 11, WindowSize: time.Second, ProducerDefault: 50})
	if got := m.Produce.Quota("ANONYMOUS", "any"); got != 50 {
		t.Fatalf("static default = %v", got)
	}
	if !m.Produce.QuotasEnabled() || m.Fetch.QuotasEnabled() {
		t.Fatal("static producer default enables produce quotas only")
	}
}

func TestApplyEntityConfig(t *testing.T) {
	m := NewManagers(ManagersConfig{NumSamples: 11, WindowSize: time.Second})
	if err := m.ApplyEntityConfig("users", "User%3Aalice/clients/c%201", map[string]string{
		ProducerByteRate: "1024", ConsumerByteRate: "2048", RequestPercentage: "12.5"}); err != nil {
		t.Fatal(err)
	}
	if got := m.Produce.Quota("User:alice", "c 1"); got != 1024 {
		t.Fatalf("produce = %v", got)
	}
	if got := m.Fetch.Quota("User:alice", "c 1"); got != 2048 {
		t.Fatalf("fetch = %v", got)
	}
	if got := m.Request.Quota("User:alice", "c 1"); got != 12.5 {
		t.Fatalf("request = %v", got)
	}
	// The config without consumer_byte_rate removes it.
	if err := m.ApplyEntityConfig("users", "User%3Aalice/clients/c%201", map[string]string{ProducerByteRate: "1024"}); err != nil {
		t.Fatal(err)
	}
	if got := m.Fetch.Quota("User:alice", "c 1"); got != NoQuota {
		t.Fatalf("fetch after removal = %v", got)
	}
	if err := m.ApplyEntityConfig("clients", DefaultEntity, map[string]string{ProducerByteRate: "10"}); err != nil {
		t.Fatal(err)
	}
	if got := m.Produce.Quota("ANONYMOUS", "anyone"); got != 10 {
		t.Fatalf("default client quota = %v", got)
	}
	if err := m.ApplyEntityConfig("users", "a/b", nil); err == nil {
		t.Fatal("bad path accepted")
	}
	if err := m.ApplyEntityConfig("clients", "x", map[string]string{ProducerByteRate: "abc"}); err == nil {
		t.Fatal("bad value accepted")
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"alice": "alice", "User:alice": "User%3Aalice", "a b*c": "a%20b%2Ac", "é": "%C3%A9", "x.y-z_1": "x.y-z_1",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
		if got := Desanitize(want); got != in {
			t.Errorf("Desanitize(%q) = %q, want %q", want, got, in)
		}
	}
}

// BenchmarkRecord measures the cost of recording into a throttled rate.
func BenchmarkRecord(b *testing.B) {
	m := NewClientQuotaManager(DefaultConfig(), Produce)
	m.UpdateQuota(nil, ptr("bench"), ptr(1e6))
	now := time.UnixMilli(0)
	throttled := 0
	for i := 0; i < b.N; i++ {
		now = now.Add(100 * time.Microsecond)
		if m.RecordAndGetThrottleTimeMs("ANONYMOUS", "bench", 200, now) > 0 {
			throttled++
		}
	}
	b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
}
