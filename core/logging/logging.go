// Package logging configures logrus to print lines the way Kafka's log4j
// configuration does ("[2021-05-01 10:00:00,123] INFO message (component)"),
// so that operators who grep Kafka logs find the same shapes here.
package logging

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sirupsen/logrus"
)

// KafkaFormatter renders entries as "[yyyy-MM-dd HH:mm:ss,SSS] LEVEL msg (logger)".
type KafkaFormatter struct{}

// Format implements logrus.Formatter.
func (KafkaFormatter) Format(e *logrus.Entry) ([]byte, error) {
	var b bytes.Buffer
	ts := e.Time.Format("2006-01-02 15:04:05.000")
	ts = strings.Replace(ts, ".", ",", 1)
	level := strings.ToUpper(e.Level.String())
	if level == "WARNING" {
		level = "WARN"
	}
	fmt.Fprintf(&b, "[%s] %s ", ts, level)
	// Kafka components prefix their lines ("[Controller id=1] ").
	if p, ok := e.Data["prefix"]; ok {
		fmt.Fprintf(&b, "%v ", p)
	}
	b.WriteString(e.Message)
	if c, ok := e.Data["logger"]; ok {
		fmt.Fprintf(&b, " (%v)", c)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Setup points the standard logger at w with Kafka's line format.
func Setup(w io.Writer, level logrus.Level) {
	logrus.SetFormatter(KafkaFormatter{})
	logrus.SetOutput(w)
	logrus.SetLevel(level)
}

// For returns a logger whose lines end with "(name)", like log4j's %c.
func For(name string) *logrus.Entry {
	return logrus.WithField("logger", name)
}

func init() {
	Setup(os.Stderr, logrus.InfoLevel)
}
