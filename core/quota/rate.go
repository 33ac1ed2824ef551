package quota

// rate is Kafka's Rate over a WindowedSum (SampledStat): a ring of samples,
// each covering one window; the rate is the sum of the retained samples
// divided by the time they span. Not safe for concurrent use.
type rate struct {
	samples []sample
	current int
}

type sample struct {
	value        float64
	count        int64
	lastWindowMs int64
}

func (s *sample) reset(nowMs int64) {
	s.value, s.count, s.lastWindowMs = 0, 0, nowMs
}

// windowConfig is the MetricConfig part a rate needs.
type windowConfig struct {
	samples  int   // quota.window.num
	windowMs int64 // quota.window.size.seconds in ms
}

func (r *rate) currentSample(nowMs int64) *sample {
	if len(r.samples) == 0 {
		r.samples = append(r.samples, sample{lastWindowMs: nowMs})
	}
	return &r.samples[r.current]
}

// record adds v at nowMs, starting a new sample when the current one's
// window has passed.
func (r *rate) record(c windowConfig, v float64, nowMs int64) {
	s := r.currentSample(nowMs)
	if nowMs-s.lastWindowMs >= c.windowMs {
		s = r.advance(c, nowMs)
	}
	s.value += v
	s.count++
}

func (r *rate) advance(c windowConfig, nowMs int64) *sample {
	r.current = (r.current + 1) % c.samples
	if r.current >= len(r.samples) {
		r.samples = append(r.samples, sample{lastWindowMs: nowMs})
		return &r.samples[r.current]
	}
	s := &r.samples[r.current]
	s.reset(nowMs)
	return s
}

// purge resets samples older than the whole retained span.
func (r *rate) purge(c windowConfig, nowMs int64) {
	expire := int64(c.samples) * c.windowMs
	for i := range r.samples {
		if nowMs-r.samples[i].lastWindowMs >= expire {
			r.samples[i].reset(nowMs)
		}
	}
}

// windowSize is the span the rate divides by: from the oldest sample's
// start to now, but never less than samples-1 full windows, so a burst
// right after start-up is not measured over a tiny span.
func (r *rate) windowSize(c windowConfig, nowMs int64) int64 {
	r.purge(c, nowMs)
	if len(r.samples) == 0 {
		r.samples = append(r.samples, sample{lastWindowMs: nowMs})
	}
	oldest := r.samples[0].lastWindowMs
	for _, s := range r.samples[1:] {
		if s.lastWindowMs < oldest {
			oldest = s.lastWindowMs
		}
	}
	elapsed := nowMs - oldest
	full := elapsed / c.windowMs
	if min := int64(c.samples - 1); full < min {
		elapsed += (min - full) * c.windowMs
	}
	return elapsed
}

// measure is the rate per second at nowMs.
func (r *rate) measure(c windowConfig, nowMs int64) float64 {
	r.purge(c, nowMs)
	sum := 0.0
	for _, s := range r.samples {
		sum += s.value
	}
	return sum / (float64(r.windowSize(c, nowMs)) / 1000.0)
}
