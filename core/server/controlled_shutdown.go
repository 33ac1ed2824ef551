package server

import (
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/network"
)

// controlledShutdown asks the controller to move this broker's leaderships
// to other in-sync replicas before it stops, so clients fail over without
// waiting for a ZooKeeper session timeout. It retries
// controlled.shutdown.max.retries times and gives up quietly after that.
func (s *KafkaServer) controlledShutdown() {
	if !s.cfg.ControlledShutdownEnable || s.cache == nil || len(s.cache.AliveBrokerIDs()) < 2 {
		return
	}
	s.log.Infof("%sStarting controlled shutdown", s.prefix())
	backoff := time.Duration(s.cfg.ControlledShutdownRetryBackoffMs) * time.Millisecond
	for attempt := 1; attempt <= s.cfg.ControlledShutdownMaxRetries; attempt++ {
		remaining, err := s.sendControlledShutdown()
		if err == nil && remaining == 0 {
			s.log.Infof("%sControlled shutdown request returned successfully after %d attempt(s)", s.prefix(), attempt)
			return
		}
		if err != nil {
			s.log.Warnf("%sError during controlled shutdown, possibly because leader movement took longer than the configured controller.socket.timeout.ms and/or request.timeout.ms: %v", s.prefix(), err)
		} else {
			s.log.Infof("%sRemaining partitions to move: %d", s.prefix(), remaining)
		}
		if attempt < s.cfg.ControlledShutdownMaxRetries {
			select {
			case <-time.After(backoff):
			case <-s.done:
				return
			}
		}
	}
	s.log.Warnf("%sProceeding to do an unclean shutdown as all the controlled shutdown attempts failed", s.prefix())
}

// sendControlledShutdown sends one ControlledShutdown to the controller and
// returns how many partitions this broker still leads.
func (s *KafkaServer) sendControlledShutdown() (int, error) {
	controllerID := s.cache.ControllerID()
	b, ok := s.cache.Broker(controllerID)
	if !ok {
		return -1, kerr.NotController
	}
	ep, ok := b.EndpointFor(s.cfg.InterBrokerListenerName)
	if !ok && len(b.Endpoints) > 0 {
		ep = b.Endpoints[0]
	}
	timeout := time.Duration(s.cfg.ControllerSocketTimeoutMs) * time.Millisecond
	client := network.NewBrokerClient(net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port))), "broker-"+strconv.Itoa(int(s.brokerID)), timeout)
	defer client.Close()
	req := kmsg.NewPtrControlledShutdownRequest()
	req.SetVersion(3)
	req.BrokerID = s.brokerID
	req.BrokerEpoch = s.brokerEpoch
	resp, err := client.Send(req, 0)
	if err != nil {
		return -1, err
	}
	r := resp.(*kmsg.ControlledShutdownResponse)
	if r.ErrorCode != 0 {
		return -1, kerr.ErrorForCode(r.ErrorCode)
	}
	return len(r.PartitionsRemaining), nil
}
