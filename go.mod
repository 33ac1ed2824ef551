module github.com/gokafka/kafka

go 1.26.8

require (
	github.com/go-zookeeper/zk v1.0.4
	github.com/klauspost/compress v1.20.3
	github.com/magiconair/properties v1.18.12
	github.com/pierrec/lz4/v4 v4.1.33
	github.com/sirupsen/logrus v1.10.2
	github.com/twmb/franz-go v1.22.2
	github.com/twmb/franz-go/pkg/kadm v1.19.0
	github.com/twmb/franz-go/pkg/kmsg v1.15.0
)

require golang.org/x/sys v0.13.0 // indirect
