package tools

import "errors"

// newZkTopicService is filled in once the ZooKeeper admin helpers land.
func newZkTopicService(e *env, connect string) (topicService, error) {
	return nil, errors.New("--zookeeper is not supported yet; use --bootstrap-server")
}
