package server

import (
	"strings"

	"github.com/gokafka/kafka/core/security/authorizer"
)

// aclAuthorizerKeys are AclAuthorizer's own settings: Kafka hands every
// broker property to the authorizer, so they are not unknown keys.
var aclAuthorizerKeys = map[string]bool{
	"super.users":                    true,
	"allow.everyone.if.no.acl.found": true,
}

// startAuthorizer loads AclAuthorizer when authorizer.class.name names it
// (kafka.security.authorizer.AclAuthorizer or the deprecated
// kafka.security.auth.SimpleAclAuthorizer): ACLs from ZooKeeper, change
// notifications followed until shutdown.
func (s *KafkaServer) startAuthorizer() error {
	if !authorizer.IsAclAuthorizer(s.cfg.AuthorizerClassName) {
		return nil
	}
	az, err := authorizer.New(s.zk, authorizer.Config{
		SuperUsers:    s.cfg.Props["super.users"],
		AllowEveryone: strings.EqualFold(strings.TrimSpace(s.cfg.Props["allow.everyone.if.no.acl.found"]), "true"),
	})
	if err != nil {
		return err
	}
	go func() {
		<-s.done
		az.Close()
	}()
	s.apis.SetAuthorizer(az)
	return nil
}
