package tools

import (
	"encoding/binary"
	"fmt"
	"github.com/gokafka/kafka/core/javacompat"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// messageFormatter prints one consumed record; Kafka 2.8's console consumer
// picks one with --formatter.
type messageFormatter interface {
	writeTo(r *consumedRecord, w io.Writer) error
}

// consumedRecord is what a formatter sees of a record.
type consumedRecord struct {
	topic         string
	partition     int32
	offset        int64
	timestamp     int64
	timestampType string // "CreateTime", "LogAppendTime" or "" for none
	key, value    []byte // nil means null
	headers       []recordHeader
}

type recordHeader struct {
	key   string
	value []byte
}

// deserializer mirrors the Kafka deserializers users name with
// key.deserializer / value.deserializer; it turns bytes into printed text.
type deserializer func(data []byte) (string, error)

// defaultMessageFormatter is kafka.tools.DefaultMessageFormatter.
type defaultMessageFormatter struct {
	printTimestamp, printKey, printValue, printPartition, printOffset, printHeaders bool
	keySeparator, lineSeparator, headersSeparator, nullLiteral                      []byte
	keyDeserializer, valueDeserializer, headersDeserializer                         deserializer
}

func newDefaultMessageFormatter(props map[string]string) (*defaultMessageFormatter, error) {
	f := &defaultMessageFormatter{
		printValue: true, keySeparator: []byte("\t"), lineSeparator: []byte("\n"),
		headersSeparator: []byte(","), nullLiteral: []byte("null"),
	}
	bools := map[string]*bool{
		"print.timestamp": &f.printTimestamp, "print.key": &f.printKey, "print.offset": &f.printOffset,
		"print.partition": &f.printPartition, "print.headers": &f.printHeaders, "print.value": &f.printValue,
	}
	for k, dst := range bools {
		if v, ok := props[k]; ok {
			*dst = strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	byteProps := map[string]*[]byte{
		"key.separator": &f.keySeparator, "line.separator": &f.lineSeparator,
		"headers.separator": &f.headersSeparator, "null.literal": &f.nullLiteral,
	}
	for k, dst := range byteProps {
		if v, ok := props[k]; ok {
			*dst = []byte(v)
		}
	}
	var err error
	for k, dst := range map[string]*deserializer{
		"key.deserializer": &f.keyDeserializer, "value.deserializer": &f.valueDeserializer,
		"headers.deserializer": &f.headersDeserializer,
	} {
		if v, ok := props[k]; ok {
			if *dst, err = deserializerFor(v); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// writeTo prints the enabled fields in Kafka's order: timestamp, partition,
// offset, headers, key, value; a field is followed by key.separator when
// another field follows, else by line.separator.
func (f *defaultMessageFormatter) writeTo(r *consumedRecord, w io.Writer) error {
	var b []byte
	sep := func(column bool) {
		if column {
			b = append(b, f.keySeparator...)
		} else {
			b = append(b, f.lineSeparator...)
		}
	}
	if f.printTimestamp {
		if r.timestampType != "" {
			b = append(b, r.timestampType+":"+strconv.FormatInt(r.timestamp, 10)...)
		} else {
			b = append(b, "NO_TIMESTAMP"...)
		}
		sep(f.printOffset || f.printPartition || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printPartition {
		b = append(b, "Partition:"+strconv.Itoa(int(r.partition))...)
		sep(f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printOffset {
		b = append(b, "Offset:"+strconv.FormatInt(r.offset, 10)...)
		sep(f.printHeaders || f.printKey || f.printValue)
	}
	if f.printHeaders {
		if len(r.headers) == 0 {
			b = append(b, "NO_HEADERS"...)
		}
		for i, h := range r.headers {
			v, err := f.deserialize(f.headersDeserializer, h.value)
			if err != nil {
				return err
			}
			b = append(b, h.key+":"...)
			b = append(b, v...)
			if i < len(r.headers)-1 {
				b = append(b, f.headersSeparator...)
			}
		}
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		k, err := f.deserialize(f.keyDeserializer, r.key)
		if err != nil {
			return err
		}
		b = append(b, k...)
		sep(f.printValue)
	}
	if f.printValue {
		v, err := f.deserialize(f.valueDeserializer, r.value)
		if err != nil {
			return err
		}
		b = append(b, v...)
		b = append(b, f.lineSeparator...)
	}
	_, err := w.Write(b)
	return err
}

// deserialize applies a deserializer; null data is replaced by null.literal first, as Kafka does.
func (f *defaultMessageFormatter) deserialize(d deserializer, data []byte) ([]byte, error) {
	if data == nil {
		data = f.nullLiteral
	}
	if d == nil {
		return data, nil
	}
	s, err := d(data)
	return []byte(s), err
}

// noOpMessageFormatter prints nothing (kafka.tools.NoOpMessageFormatter).
// LoggingMessageFormatter maps to the default formatter: its extra INFO log
// line is hidden by the tools' WARN log level anyway.
type noOpMessageFormatter struct{}

func (noOpMessageFormatter) writeTo(*consumedRecord, io.Writer) error { return nil }

// newFormatter resolves --formatter class names.
func newFormatter(class string, props map[string]string) (messageFormatter, error) {
	switch class {
	case "kafka.tools.DefaultMessageFormatter", "kafka.tools.LoggingMessageFormatter", "DefaultMessageFormatter":
		return newDefaultMessageFormatter(props)
	case "kafka.tools.NoOpMessageFormatter":
		return noOpMessageFormatter{}, nil
	}
	return nil, &javaError{"java.lang.ClassNotFoundException", class}
}

func serializationError(format string, a ...any) error {
	return &javaError{"org.apache.kafka.common.errors.SerializationException", fmt.Sprintf(format, a...)}
}

// deserializerFor maps Kafka's common deserializer classes.
func deserializerFor(class string) (deserializer, error) {
	short := class[strings.LastIndex(class, ".")+1:]
	fixed := func(name string, size int, conv func([]byte) string) deserializer {
		return func(b []byte) (string, error) {
			if len(b) != size {
				return "", serializationError("Size of data received by %s is not %d", name, size)
			}
			return conv(b), nil
		}
	}
	switch short {
	case "StringDeserializer", "ByteArrayDeserializer", "BytesDeserializer", "ByteBufferDeserializer":
		return func(b []byte) (string, error) { return string(b), nil }, nil
	case "LongDeserializer":
		return fixed(short, 8, func(b []byte) string { return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10) }), nil
	case "IntegerDeserializer":
		return fixed(short, 4, func(b []byte) string { return strconv.Itoa(int(int32(binary.BigEndian.Uint32(b)))) }), nil
	case "ShortDeserializer":
		return fixed(short, 2, func(b []byte) string { return strconv.Itoa(int(int16(binary.BigEndian.Uint16(b)))) }), nil
	case "DoubleDeserializer":
		return fixed(short, 8, func(b []byte) string {
			return javacompat.DoubleToString(math.Float64frombits(binary.BigEndian.Uint64(b)))
		}), nil
	case "FloatDeserializer":
		return fixed(short, 4, func(b []byte) string {
			return javacompat.DoubleToString(float64(math.Float32frombits(binary.BigEndian.Uint32(b))))
		}), nil
	case "UUIDDeserializer":
		return func(b []byte) (string, error) { return string(b), nil }, nil
	}
	return nil, &javaError{"java.lang.ClassNotFoundException", class}
}

// millis converts a record time to epoch milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }
