// Package log stores partitions on disk exactly as Kafka 2.x does (the
// kafka.log package): a Log is a directory of LogSegments, each a .log file
// of record batches with a sparse .index (offset -> position) and
// .timeindex (timestamp -> offset); the LogManager owns all log dirs, their
// checkpoints, recovery after a crash, retention and flushing, and its
// LogCleaner compacts logs with cleanup.policy=compact.
package log

import (
	"math"
	"strings"
)

// Config holds the per-topic settings that shape a log (Kafka's LogConfig).
type Config struct {
	SegmentBytes          int64
	SegmentMs             int64
	SegmentJitterMs       int64
	RetentionMs           int64 // -1 = unlimited
	RetentionBytes        int64 // -1 = unlimited
	IndexIntervalBytes    int32
	MaxIndexSize          int32
	FlushIntervalMessages int64
	FlushMs               int64 // -1 or MaxInt64 = never
	FileDeleteDelayMs     int64
	MaxMessageBytes       int32
	MessageTimestampType  string // CreateTime | LogAppendTime
	CleanupPolicy         string // delete | compact | compact,delete
	Preallocate           bool
	// CompressionType is compression.type: producer keeps the producer's
	// codec; uncompressed, gzip, snappy, lz4 or zstd make the leader recompress.
	CompressionType string

	// Compaction settings (used when CleanupPolicy includes "compact").
	DeleteRetentionMs      int64   // delete.retention.ms: how long tombstones survive cleaning
	MinCleanableDirtyRatio float64 // min.cleanable.dirty.ratio
	MinCompactionLagMs     int64   // min.compaction.lag.ms
	MaxCompactionLagMs     int64   // max.compaction.lag.ms
}

// DefaultConfig returns Kafka 2.8's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:          1 << 30,
		SegmentMs:             168 * 3600 * 1000,
		SegmentJitterMs:       0,
		RetentionMs:           168 * 3600 * 1000,
		RetentionBytes:        -1,
		IndexIntervalBytes:    4096,
		MaxIndexSize:          10 << 20,
		FlushIntervalMessages: math.MaxInt64,
		FlushMs:               math.MaxInt64,
		FileDeleteDelayMs:     60000,
		MaxMessageBytes:       1048588,
		MessageTimestampType:  "CreateTime",
		CleanupPolicy:         "delete",
		Preallocate:           false,

		DeleteRetentionMs:      86400000,
		MinCleanableDirtyRatio: 0.5,
		MinCompactionLagMs:     0,
		MaxCompactionLagMs:     math.MaxInt64,
	}
}

// deleteEnabled reports whether retention may delete segments (Kafka
// deletes for "delete" and "compact,delete").
func (c *Config) deleteEnabled() bool {
	switch c.CleanupPolicy {
	case "", "delete", "compact,delete", "delete,compact":
		return true
	}
	return false
}

// compactEnabled reports whether the log cleaner compacts this log
// ("compact" or "compact,delete").
func (c *Config) compactEnabled() bool {
	for _, p := range strings.Split(c.CleanupPolicy, ",") {
		if strings.TrimSpace(p) == "compact" {
			return true
		}
	}
	return false
}

func (c *Config) logAppendTime() bool { return c.MessageTimestampType == "LogAppendTime" }

func (c *Config) flushNever() bool { return c.FlushMs < 0 || c.FlushMs == math.MaxInt64 }

// sanitized fills zero values that would break the log with defaults, so a
// partially filled Config from a caller still yields a working log.
func (c Config) sanitized() Config {
	d := DefaultConfig()
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = d.SegmentBytes
	}
	if c.SegmentMs <= 0 {
		c.SegmentMs = d.SegmentMs
	}
	if c.IndexIntervalBytes <= 0 {
		c.IndexIntervalBytes = d.IndexIntervalBytes
	}
	if c.MaxIndexSize < 4*12 {
		c.MaxIndexSize = d.MaxIndexSize
	}
	if c.FlushIntervalMessages <= 0 {
		c.FlushIntervalMessages = d.FlushIntervalMessages
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = d.MaxMessageBytes
	}
	if c.MessageTimestampType == "" {
		c.MessageTimestampType = d.MessageTimestampType
	}
	if c.CleanupPolicy == "" {
		c.CleanupPolicy = d.CleanupPolicy
	}
	if c.FileDeleteDelayMs < 0 {
		c.FileDeleteDelayMs = 0
	}
	// Zero compaction settings are valid Kafka values (clean as soon as
	// anything is dirty, drop tombstones at once) and are kept; only
	// impossible ones fall back to the defaults.
	if c.DeleteRetentionMs < 0 {
		c.DeleteRetentionMs = d.DeleteRetentionMs
	}
	if c.MinCleanableDirtyRatio < 0 || c.MinCleanableDirtyRatio > 1 {
		c.MinCleanableDirtyRatio = d.MinCleanableDirtyRatio
	}
	if c.MinCompactionLagMs < 0 {
		c.MinCompactionLagMs = 0
	}
	if c.MaxCompactionLagMs <= 0 {
		c.MaxCompactionLagMs = d.MaxCompactionLagMs
	}
	return c
}
