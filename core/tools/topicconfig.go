package tools

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Topic-level configurations accepted by Kafka 2.8 (LogConfig) with the type
// and bounds its ConfigDef checks, so that bad --config values fail before a
// request is sent, with Kafka's messages.

type configType int

const (
	cfgInt configType = iota
	cfgLong
	cfgDouble
	cfgBool
	cfgString
	cfgList
)

type topicConfigDef struct {
	typ     configType
	atLeast *float64
	atMost  *float64
	oneOf   []string
}

func bound(v float64) *float64 { return &v }

var topicConfigDefs = map[string]topicConfigDef{
	"segment.bytes":                           {typ: cfgInt, atLeast: bound(14)},
	"segment.ms":                              {typ: cfgLong, atLeast: bound(1)},
	"segment.jitter.ms":                       {typ: cfgLong, atLeast: bound(0)},
	"segment.index.bytes":                     {typ: cfgInt, atLeast: bound(0)},
	"flush.messages":                          {typ: cfgLong, atLeast: bound(0)},
	"flush.ms":                                {typ: cfgLong, atLeast: bound(0)},
	"retention.bytes":                         {typ: cfgLong},
	"retention.ms":                            {typ: cfgLong, atLeast: bound(-1)},
	"max.message.bytes":                       {typ: cfgInt, atLeast: bound(0)},
	"index.interval.bytes":                    {typ: cfgInt, atLeast: bound(0)},
	"delete.retention.ms":                     {typ: cfgLong, atLeast: bound(0)},
	"min.compaction.lag.ms":                   {typ: cfgLong, atLeast: bound(0)},
	"max.compaction.lag.ms":                   {typ: cfgLong, atLeast: bound(1)},
	"file.delete.delay.ms":                    {typ: cfgLong, atLeast: bound(0)},
	"min.cleanable.dirty.ratio":               {typ: cfgDouble, atLeast: bound(0), atMost: bound(1)},
	"cleanup.policy":                          {typ: cfgList, oneOf: []string{"compact", "delete"}},
	"unclean.leader.election.enable":          {typ: cfgBool},
	"min.insync.replicas":                     {typ: cfgInt, atLeast: bound(1)},
	"compression.type":                        {typ: cfgString, oneOf: []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
	"preallocate":                             {typ: cfgBool},
	"message.format.version":                  {typ: cfgString},
	"message.timestamp.type":                  {typ: cfgString, oneOf: []string{"CreateTime", "LogAppendTime"}},
	"message.timestamp.difference.max.ms":     {typ: cfgLong, atLeast: bound(0)},
	"leader.replication.throttled.replicas":   {typ: cfgList},
	"follower.replication.throttled.replicas": {typ: cfgList},
	"message.downconversion.enable":           {typ: cfgBool},
}

func topicConfigNames() []string {
	names := make([]string, 0, len(topicConfigDefs))
	for n := range topicConfigDefs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func configException(name, value, reason string) error {
	return &javaError{"org.apache.kafka.common.config.ConfigException",
		fmt.Sprintf("Invalid value %s for configuration %s: %s", value, name, reason)}
}

// validateTopicConfig checks one topic override like LogConfig.validate.
func validateTopicConfig(name, value string) error {
	def, ok := topicConfigDefs[name]
	if !ok {
		return illegalArgument("requirement failed: Unknown topic config name: %s", name)
	}
	v := strings.TrimSpace(value)
	var num float64
	switch def.typ {
	case cfgInt:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return configException(name, value, "Not a number of type INT")
		}
		num = float64(n)
	case cfgLong:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return configException(name, value, "Not a number of type LONG")
		}
		num = float64(n)
	case cfgDouble:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return configException(name, value, "Not a number of type DOUBLE")
		}
		num = n
	case cfgBool:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return configException(name, value, "Expected value to be either true or false")
		}
		return nil
	case cfgString:
		if def.oneOf != nil && !contains(def.oneOf, v) {
			return configException(name, v, "String must be one of: "+strings.Join(def.oneOf, ", "))
		}
		return nil
	case cfgList:
		if def.oneOf != nil {
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); !contains(def.oneOf, item) {
					return configException(name, "["+v+"]", "Invalid value "+item+" for configuration "+name+": String must be one of: "+strings.Join(def.oneOf, ", "))
				}
			}
		}
		return nil
	}
	if def.atLeast != nil && num < *def.atLeast {
		return configException(name, v, "Value must be at least "+formatBound(*def.atLeast))
	}
	if def.atMost != nil && num > *def.atMost {
		return configException(name, v, "Value must be no more than "+formatBound(*def.atMost))
	}
	return nil
}

func formatBound(f float64) string {
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
