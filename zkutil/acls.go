package zkutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"
)

// ACL storage of Kafka 2.8's AclAuthorizer (ZkData.scala ZkAclStore,
// ZkAclChangeStore, ResourceZNode):
//
//	/kafka-acl/<Topic|Group|Cluster|TransactionalId|DelegationToken>/<name>     literal ACLs
//	/kafka-acl-extended/prefixed/<type>/<name>                                  prefixed ACLs
//	/kafka-acl-changes/acl_changes_<seq>           "TOPIC:<name>" (literal)
//	/kafka-acl-extended-changes/acl_changes_<seq>  {"version":1,"resourceType":"TOPIC","name":"x","patternType":"PREFIXED"}
//
// A resource znode holds {"version":1,"acls":[{"principal":"User:alice",
// "permissionType":"Allow","operation":"Read","host":"*"}]} and is updated
// conditionally on its znode version.

// Enum codes of org.apache.kafka.common.resource / acl (the protocol's).
const (
	ResourceUnknown         int8 = 0
	ResourceAny             int8 = 1
	ResourceTopic           int8 = 2
	ResourceGroup           int8 = 3
	ResourceCluster         int8 = 4
	ResourceTransactionalID int8 = 5
	ResourceDelegationToken int8 = 6

	PatternUnknown  int8 = 0
	PatternAny      int8 = 1
	PatternMatch    int8 = 2
	PatternLiteral  int8 = 3
	PatternPrefixed int8 = 4

	OpUnknown         int8 = 0
	OpAny             int8 = 1
	OpAll             int8 = 2
	OpRead            int8 = 3
	OpWrite           int8 = 4
	OpCreate          int8 = 5
	OpDelete          int8 = 6
	OpAlter           int8 = 7
	OpDescribe        int8 = 8
	OpClusterAction   int8 = 9
	OpDescribeConfigs int8 = 10
	OpAlterConfigs    int8 = 11
	OpIdempotentWrite int8 = 12

	PermUnknown int8 = 0
	PermAny     int8 = 1
	PermDeny    int8 = 2
	PermAllow   int8 = 3
)

const (
	AclPath                  = "/kafka-acl"
	ExtendedAclPath          = "/kafka-acl-extended"
	AclChangesPath           = "/kafka-acl-changes"
	ExtendedAclChangesPath   = "/kafka-acl-extended-changes"
	AclChangeSequencePrefix  = "acl_changes_"
	ClusterResourceName      = "kafka-cluster"
	WildcardResource         = "*"
	WildcardHost             = "*"
	WildcardPrincipal        = "User:*"
	aclEntryCurrentVersion   = 1
	extendedAclChangeVersion = 1
)

// ResourcePattern is a resource type, name and pattern type (LITERAL or PREFIXED when stored).
type ResourcePattern struct {
	ResourceType int8
	Name         string
	PatternType  int8
}

// AclEntry is one ACL of a resource (AclEntry.scala).
type AclEntry struct {
	Principal  string
	Host       string
	Operation  int8
	Permission int8
}

var resourceTypeZkNames = map[int8]string{
	ResourceTopic: "Topic", ResourceGroup: "Group", ResourceCluster: "Cluster",
	ResourceTransactionalID: "TransactionalId", ResourceDelegationToken: "DelegationToken",
}

var resourceTypeEnumNames = map[int8]string{
	ResourceUnknown: "UNKNOWN", ResourceAny: "ANY", ResourceTopic: "TOPIC", ResourceGroup: "GROUP",
	ResourceCluster: "CLUSTER", ResourceTransactionalID: "TRANSACTIONAL_ID", ResourceDelegationToken: "DELEGATION_TOKEN",
}

var patternTypeNames = map[int8]string{
	PatternUnknown: "UNKNOWN", PatternAny: "ANY", PatternMatch: "MATCH", PatternLiteral: "LITERAL", PatternPrefixed: "PREFIXED",
}

var operationEnumNames = map[int8]string{
	OpUnknown: "UNKNOWN", OpAny: "ANY", OpAll: "ALL", OpRead: "READ", OpWrite: "WRITE", OpCreate: "CREATE",
	OpDelete: "DELETE", OpAlter: "ALTER", OpDescribe: "DESCRIBE", OpClusterAction: "CLUSTER_ACTION",
	OpDescribeConfigs: "DESCRIBE_CONFIGS", OpAlterConfigs: "ALTER_CONFIGS", OpIdempotentWrite: "IDEMPOTENT_WRITE",
}

var permissionEnumNames = map[int8]string{PermUnknown: "UNKNOWN", PermAny: "ANY", PermDeny: "DENY", PermAllow: "ALLOW"}

// ResourceTypeName is the Java enum name (TOPIC, TRANSACTIONAL_ID, ...).
func ResourceTypeName(t int8) string { return enumName(resourceTypeEnumNames, t) }

// PatternTypeName is the Java enum name (LITERAL, PREFIXED, ...).
func PatternTypeName(t int8) string { return enumName(patternTypeNames, t) }

// OperationName is the Java enum name (READ, IDEMPOTENT_WRITE, ...).
func OperationName(op int8) string { return enumName(operationEnumNames, op) }

// PermissionName is the Java enum name (ALLOW, DENY, ...).
func PermissionName(p int8) string { return enumName(permissionEnumNames, p) }

func enumName(m map[int8]string, v int8) string {
	if s, ok := m[v]; ok {
		return s
	}
	return "UNKNOWN"
}

// pascal turns READ / IDEMPOTENT_WRITE into Read / IdempotentWrite
// (SecurityUtils.toPascalCase, used for operations and permission types).
func pascal(enum string) string {
	var b strings.Builder
	up := true
	for _, r := range strings.ToLower(enum) {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseEnum matches s case-insensitively, with or without underscores
// (ResourceType.fromString / SecurityUtils.operation accept both spellings).
func parseEnum(m map[int8]string, s string) (int8, bool) {
	norm := strings.ToUpper(strings.ReplaceAll(s, "_", ""))
	for k, v := range m {
		if strings.ReplaceAll(v, "_", "") == norm {
			return k, true
		}
	}
	return 0, false
}

// ParseResourceType parses TOPIC / Topic / TransactionalId / TRANSACTIONAL_ID.
func ParseResourceType(s string) (int8, bool) { return parseEnum(resourceTypeEnumNames, s) }

// ParsePatternType parses LITERAL / prefixed / ...
func ParsePatternType(s string) (int8, bool) { return parseEnum(patternTypeNames, s) }

// ParseOperation parses Read / READ / IdempotentWrite / IDEMPOTENT_WRITE.
func ParseOperation(s string) (int8, bool) { return parseEnum(operationEnumNames, s) }

// ParsePermission parses Allow / DENY.
func ParsePermission(s string) (int8, bool) { return parseEnum(permissionEnumNames, s) }

// AclResourcePath is the znode of a resource's ACLs.
func AclResourcePath(r ResourcePattern) string {
	return aclStorePath(r.PatternType) + "/" + resourceTypeZkNames[r.ResourceType] + "/" + r.Name
}

func aclStorePath(pattern int8) string {
	if pattern == PatternLiteral {
		return AclPath
	}
	return ExtendedAclPath + "/" + strings.ToLower(PatternTypeName(pattern))
}

// EncodeAcls renders a resource znode; ACLs are written in a stable order.
func EncodeAcls(acls []AclEntry) []byte {
	sorted := append([]AclEntry(nil), acls...)
	sortAclEntries(sorted)
	parts := make([][]byte, len(sorted))
	for i, a := range sorted {
		parts[i] = object([]field{
			{"principal", jsonString(a.Principal)},
			{"permissionType", jsonString(pascal(PermissionName(a.Permission)))},
			{"operation", jsonString(pascal(OperationName(a.Operation)))},
			{"host", jsonString(a.Host)},
		})
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(p)
	}
	b.WriteByte(']')
	return object([]field{{"version", jsonInt(aclEntryCurrentVersion)}, {"acls", []byte(b.String())}})
}

func sortAclEntries(acls []AclEntry) {
	sort.Slice(acls, func(i, j int) bool {
		a, b := acls[i], acls[j]
		if a.Principal != b.Principal {
			return a.Principal < b.Principal
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		return a.Permission < b.Permission
	})
}

// DecodeAcls parses a resource znode (AclEntry.fromBytes); empty data is no ACLs.
func DecodeAcls(data []byte) ([]AclEntry, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var j struct {
		Version int `json:"version"`
		Acls    []struct {
			Principal      string `json:"principal"`
			PermissionType string `json:"permissionType"`
			Operation      string `json:"operation"`
			Host           string `json:"host"`
		} `json:"acls"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("failed to parse ACL json %s: %v", data, err)
	}
	out := make([]AclEntry, 0, len(j.Acls))
	for _, a := range j.Acls {
		op, ok1 := ParseOperation(a.Operation)
		perm, ok2 := ParsePermission(a.PermissionType)
		if !ok1 || !ok2 || !strings.Contains(a.Principal, ":") {
			return nil, fmt.Errorf("invalid ACL entry in %s", data)
		}
		out = append(out, AclEntry{Principal: a.Principal, Host: a.Host, Operation: op, Permission: perm})
	}
	return out, nil
}

// EncodeAclChange renders a change notification for r: "TOPIC:name" for a
// literal resource, the ExtendedAclChangeEvent JSON otherwise.
func EncodeAclChange(r ResourcePattern) []byte {
	if r.PatternType == PatternLiteral {
		return []byte(ResourceTypeName(r.ResourceType) + ":" + r.Name)
	}
	return object([]field{
		{"version", jsonInt(extendedAclChangeVersion)},
		{"resourceType", jsonString(ResourceTypeName(r.ResourceType))},
		{"name", jsonString(r.Name)},
		{"patternType", jsonString(PatternTypeName(r.PatternType))},
	})
}

// DecodeAclChange parses a notification of the literal (extended=false) or extended store.
func DecodeAclChange(data []byte, extended bool) (ResourcePattern, error) {
	if !extended {
		s := string(data)
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return ResourcePattern{}, fmt.Errorf("expected a string in format ResourceType:ResourceName but got %s", s)
		}
		t, ok := ParseResourceType(s[:i])
		if !ok {
			return ResourcePattern{}, fmt.Errorf("unknown resource type in %s", s)
		}
		return ResourcePattern{ResourceType: t, Name: s[i+1:], PatternType: PatternLiteral}, nil
	}
	var j struct {
		Version      int    `json:"version"`
		ResourceType string `json:"resourceType"`
		Name         string `json:"name"`
		PatternType  string `json:"patternType"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return ResourcePattern{}, fmt.Errorf("Failed to parse ACL change event: %v", err)
	}
	if j.Version > extendedAclChangeVersion {
		return ResourcePattern{}, fmt.Errorf("Acl change event received for unsupported version: %d", j.Version)
	}
	t, ok1 := ParseResourceType(j.ResourceType)
	p, ok2 := ParsePatternType(j.PatternType)
	if !ok1 || !ok2 {
		return ResourcePattern{}, fmt.Errorf("Failed to convert ACL change event to resource: %s", data)
	}
	return ResourcePattern{ResourceType: t, Name: j.Name, PatternType: p}, nil
}

// AclChangesPathFor is the change store of a pattern type.
func AclChangesPathFor(pattern int8) string {
	if pattern == PatternLiteral {
		return AclChangesPath
	}
	return ExtendedAclChangesPath
}

// CreateAclPaths creates the ACL store and change paths
// (KafkaZkClient.createAclPaths).
func (c *Client) CreateAclPaths() error {
	for _, p := range []string{AclPath, AclChangesPath, ExtendedAclPath + "/prefixed", ExtendedAclChangesPath} {
		if err := c.MakeSurePersistentPathExists(p); err != nil {
			return err
		}
		if strings.HasPrefix(p, "/kafka-acl") && !strings.HasSuffix(p, "changes") {
			for _, name := range resourceTypeZkNames {
				if err := c.MakeSurePersistentPathExists(p + "/" + name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// GetVersionedAcls reads a resource's ACLs and znode version (-1: no znode).
func (c *Client) GetVersionedAcls(r ResourcePattern) ([]AclEntry, int32, error) {
	data, stat, err := c.GetData(AclResourcePath(r))
	if errors.Is(err, ErrNoNode) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, -1, err
	}
	acls, err := DecodeAcls(data)
	return acls, stat.Version, err
}

// ConditionalSetAcls writes a resource's ACLs if its znode still has
// expectedVersion (-1: must not exist); an empty set deletes the znode. It
// reports false when the version did not match.
func (c *Client) ConditionalSetAcls(r ResourcePattern, acls []AclEntry, expectedVersion int32) (bool, error) {
	path := AclResourcePath(r)
	var err error
	switch {
	case len(acls) == 0 && expectedVersion < 0:
		return true, nil
	case len(acls) == 0:
		err = c.Delete(path, expectedVersion)
		if errors.Is(err, ErrNoNode) {
			return false, nil
		}
	case expectedVersion < 0:
		if err = c.createParents(path); err == nil {
			_, err = c.Create(path, EncodeAcls(acls), 0)
		}
		if errors.Is(err, ErrNodeExists) {
			return false, nil
		}
	default:
		_, err = c.SetData(path, EncodeAcls(acls), expectedVersion)
		if errors.Is(err, ErrNoNode) {
			return false, nil
		}
	}
	if errors.Is(err, ErrBadVersion) {
		return false, nil
	}
	return err == nil, err
}

// CreateAclChangeNotification tells every broker that r's ACLs changed.
func (c *Client) CreateAclChangeNotification(r ResourcePattern) error {
	dir := AclChangesPathFor(r.PatternType)
	if err := c.MakeSurePersistentPathExists(dir); err != nil {
		return err
	}
	_, err := c.Create(dir+"/"+AclChangeSequencePrefix, EncodeAclChange(r), zk.FlagSequence)
	return err
}

// GetAclResources lists every resource with an ACL znode, in both stores.
func (c *Client) GetAclResources() ([]ResourcePattern, error) {
	var out []ResourcePattern
	for _, pattern := range []int8{PatternLiteral, PatternPrefixed} {
		store := aclStorePath(pattern)
		types, err := c.GetChildren(store)
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, typeName := range types {
			t, ok := ParseResourceType(typeName)
			if !ok {
				continue
			}
			names, err := c.GetChildren(store + "/" + typeName)
			if errors.Is(err, ErrNoNode) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				out = append(out, ResourcePattern{ResourceType: t, Name: n, PatternType: pattern})
			}
		}
	}
	return out, nil
}
