// Package authorizer is Kafka 2.8's AclAuthorizer
// (kafka.security.authorizer.AclAuthorizer): ACLs stored in ZooKeeper
// under /kafka-acl and /kafka-acl-extended, cached by every broker and
// refreshed from the /kafka-acl-changes and /kafka-acl-extended-changes
// notifications, and the 2.8 decision rules (super users, deny beats allow,
// wildcard principal/host/resource, prefixed resources, implied
// operations, allow.everyone.if.no.acl.found).
package authorizer

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/zkutil"
)

// Class names that load this authorizer.
const (
	AclAuthorizerClass       = "kafka.security.authorizer.AclAuthorizer"
	SimpleAclAuthorizerClass = "kafka.security.auth.SimpleAclAuthorizer"
)

// IsAclAuthorizer reports whether authorizer.class.name names this authorizer.
func IsAclAuthorizer(className string) bool {
	className = strings.TrimSpace(className)
	return className == AclAuthorizerClass || className == SimpleAclAuthorizerClass
}

const (
	anonymousPrincipal = "User:ANONYMOUS"
	changeExpiration   = 15 * time.Minute
	changeRecheck      = 10 * time.Second
)

// Binding is an ACL on a resource pattern (AclBinding).
type Binding struct {
	Pattern zkutil.ResourcePattern
	Entry   zkutil.AclEntry
}

// Filter selects bindings (AclBindingFilter); nil strings match anything,
// ANY codes match any value, pattern type MATCH matches every pattern that
// applies to the named resource.
type Filter struct {
	ResourceType int8
	Name         *string
	PatternType  int8
	Principal    *string
	Host         *string
	Operation    int8
	Permission   int8
}

// PatternMatches is ResourcePatternFilter.matches.
func (f *Filter) PatternMatches(p zkutil.ResourcePattern) bool {
	if f.ResourceType != zkutil.ResourceAny && f.ResourceType != p.ResourceType {
		return false
	}
	if f.PatternType != zkutil.PatternAny && f.PatternType != zkutil.PatternMatch && f.PatternType != p.PatternType {
		return false
	}
	if f.Name == nil {
		return true
	}
	if f.PatternType == zkutil.PatternAny || f.PatternType == p.PatternType {
		return *f.Name == p.Name
	}
	switch p.PatternType {
	case zkutil.PatternLiteral:
		return *f.Name == p.Name || p.Name == zkutil.WildcardResource
	case zkutil.PatternPrefixed:
		return strings.HasPrefix(*f.Name, p.Name)
	}
	return false
}

// EntryMatches is AccessControlEntryFilter.matches.
func (f *Filter) EntryMatches(e zkutil.AclEntry) bool {
	return (f.Principal == nil || *f.Principal == e.Principal) &&
		(f.Host == nil || *f.Host == e.Host) &&
		(f.Operation == zkutil.OpAny || f.Operation == e.Operation) &&
		(f.Permission == zkutil.PermAny || f.Permission == e.Permission)
}

// Result is the outcome of one creation or one deletion filter.
type Result struct {
	Err      error // nil, or an *InvalidRequestError / ZooKeeper error
	Bindings []Binding
}

// InvalidRequestError is answered INVALID_REQUEST.
type InvalidRequestError struct{ Msg string }

func (e *InvalidRequestError) Error() string { return e.Msg }

// Config is the authorizer's part of server.properties.
type Config struct {
	SuperUsers    string // super.users, semicolon-separated principals
	AllowEveryone bool   // allow.everyone.if.no.acl.found
}

// AclAuthorizer authorizes with ACLs kept in ZooKeeper.
type AclAuthorizer struct {
	zk            *zkutil.Client
	superUsers    map[string]bool
	allowEveryone bool

	mu    sync.RWMutex
	cache map[zkutil.ResourcePattern][]zkutil.AclEntry
	// prefixed lists the cached prefixed patterns per resource type.
	prefixed map[int8][]string

	updateMu sync.Mutex // serialises this broker's ZooKeeper updates
	done     chan struct{}
	stopOnce sync.Once
	log      *logrus.Entry
	authLog  *logrus.Entry
}

// New loads every ACL from ZooKeeper and starts following change
// notifications.
func New(zk *zkutil.Client, cfg Config) (*AclAuthorizer, error) {
	a := &AclAuthorizer{
		zk: zk, superUsers: ParseSuperUsers(cfg.SuperUsers), allowEveryone: cfg.AllowEveryone,
		cache: map[zkutil.ResourcePattern][]zkutil.AclEntry{}, prefixed: map[int8][]string{},
		done:    make(chan struct{}),
		log:     logging.For("kafka.security.authorizer.AclAuthorizer"),
		authLog: logging.For("kafka.authorizer.logger"),
	}
	if zk == nil {
		return a, nil
	}
	if err := zk.CreateAclPaths(); err != nil {
		return nil, fmt.Errorf("creating ACL paths: %w", err)
	}
	resources, err := zk.GetAclResources()
	if err != nil {
		return nil, fmt.Errorf("loading ACLs: %w", err)
	}
	for _, r := range resources {
		acls, _, err := zk.GetVersionedAcls(r)
		if err != nil {
			return nil, fmt.Errorf("loading ACLs of %s: %w", AclResourceString(r), err)
		}
		a.setCache(r, acls)
	}
	for _, extended := range []bool{false, true} {
		l := &changeListener{a: a, extended: extended, lastSeq: -1}
		if extended {
			l.path = zkutil.ExtendedAclChangesPath
		} else {
			l.path = zkutil.AclChangesPath
		}
		go l.run()
	}
	return a, nil
}

// Close stops following notifications.
func (a *AclAuthorizer) Close() { a.stopOnce.Do(func() { close(a.done) }) }

// ParseSuperUsers splits super.users ("User:a;User:b").
func ParseSuperUsers(s string) map[string]bool {
	out := map[string]bool{}
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out[p] = true
		}
	}
	return out
}

// Principal turns a connection's principal ("" on PLAINTEXT) into Kafka's.
func Principal(p string) string {
	if p == "" {
		return anonymousPrincipal
	}
	return p
}

// AclResourceString renders a pattern as 2.8's ResourcePattern.toString.
func AclResourceString(r zkutil.ResourcePattern) string {
	return fmt.Sprintf("ResourcePattern(resourceType=%s, name=%s, patternType=%s)",
		zkutil.ResourceTypeName(r.ResourceType), r.Name, zkutil.PatternTypeName(r.PatternType))
}

// EntryString renders an ACL as 2.8's AclEntry.toString.
func EntryString(e zkutil.AclEntry) string {
	return fmt.Sprintf("(principal=%s, host=%s, operation=%s, permissionType=%s)",
		e.Principal, e.Host, zkutil.OperationName(e.Operation), zkutil.PermissionName(e.Permission))
}

func (a *AclAuthorizer) setCache(r zkutil.ResourcePattern, acls []zkutil.AclEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, had := a.cache[r]
	if len(acls) == 0 {
		delete(a.cache, r)
	} else {
		a.cache[r] = acls
	}
	if r.PatternType == zkutil.PatternPrefixed && had != (len(acls) > 0) {
		names := a.prefixed[r.ResourceType][:0:0]
		for _, n := range a.prefixed[r.ResourceType] {
			if n != r.Name {
				names = append(names, n)
			}
		}
		if len(acls) > 0 {
			names = append(names, r.Name)
		}
		a.prefixed[r.ResourceType] = names
	}
}

// matchingAcls are the ACLs of every pattern that applies to the resource:
// its literal name, the literal wildcard and every prefixed pattern that is
// a prefix of the name.
func (a *AclAuthorizer) matchingAcls(resourceType int8, name string) [][]zkutil.AclEntry {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out [][]zkutil.AclEntry
	if acls := a.cache[zkutil.ResourcePattern{ResourceType: resourceType, Name: name, PatternType: zkutil.PatternLiteral}]; len(acls) > 0 {
		out = append(out, acls)
	}
	if acls := a.cache[zkutil.ResourcePattern{ResourceType: resourceType, Name: zkutil.WildcardResource, PatternType: zkutil.PatternLiteral}]; len(acls) > 0 {
		out = append(out, acls)
	}
	for _, p := range a.prefixed[resourceType] {
		if strings.HasPrefix(name, p) {
			out = append(out, a.cache[zkutil.ResourcePattern{ResourceType: resourceType, Name: p, PatternType: zkutil.PatternPrefixed}])
		}
	}
	return out
}

// Authorize decides one action as AclAuthorizer.authorizeAction, logging
// denials at INFO (allowed at DEBUG) on kafka.authorizer.logger.
// principal is "" for User:ANONYMOUS.
func (a *AclAuthorizer) Authorize(principal, host string, op, resourceType int8, name, requestName string) bool {
	principal = Principal(principal)
	ok := a.authorized(principal, host, op, resourceType, name)
	if !ok {
		a.authLog.Infof("Principal = %s is Denied Operation = %s from host = %s on resource = %s:LITERAL:%s for request = %s with resourceRefCount = 1",
			principal, pascalName(zkutil.OperationName(op)), host, pascalName(zkutil.ResourceTypeName(resourceType)), name, requestName)
	} else if a.authLog.Logger.IsLevelEnabled(logrus.DebugLevel) {
		a.authLog.Debugf("Principal = %s is Allowed Operation = %s from host = %s on resource = %s:LITERAL:%s for request = %s with resourceRefCount = 1",
			principal, pascalName(zkutil.OperationName(op)), host, pascalName(zkutil.ResourceTypeName(resourceType)), name, requestName)
	}
	return ok
}

// Allowed decides like Authorize without logging (2.8's logIfDenied=false,
// used for checks that have a fallback).
func (a *AclAuthorizer) Allowed(principal, host string, op, resourceType int8, name string) bool {
	return a.authorized(Principal(principal), host, op, resourceType, name)
}

func pascalName(enum string) string {
	parts := strings.Split(strings.ToLower(enum), "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func (a *AclAuthorizer) authorized(principal, host string, op, resourceType int8, name string) bool {
	if a.superUsers[principal] {
		return true
	}
	matching := a.matchingAcls(resourceType, name)
	if len(matching) == 0 {
		return a.allowEveryone
	}
	// Deny beats allow; a deny for ALL or for the operation itself counts.
	for _, acls := range matching {
		for _, e := range acls {
			if e.Permission == zkutil.PermDeny && principalMatches(e, principal) && hostMatches(e, host) &&
				(e.Operation == op || e.Operation == zkutil.OpAll) {
				return false
			}
		}
	}
	for _, acls := range matching {
		for _, e := range acls {
			if e.Permission == zkutil.PermAllow && principalMatches(e, principal) && hostMatches(e, host) &&
				(e.Operation == zkutil.OpAll || implies(e.Operation, op)) {
				return true
			}
		}
	}
	return false
}

func principalMatches(e zkutil.AclEntry, principal string) bool {
	return e.Principal == principal || e.Principal == zkutil.WildcardPrincipal
}

func hostMatches(e zkutil.AclEntry, host string) bool {
	return e.Host == host || e.Host == zkutil.WildcardHost
}

// implies reports whether an allow ACL for granted allows op: DESCRIBE is
// implied by READ, WRITE, DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS.
func implies(granted, op int8) bool {
	if granted == op {
		return true
	}
	switch op {
	case zkutil.OpDescribe:
		return granted == zkutil.OpRead || granted == zkutil.OpWrite || granted == zkutil.OpDelete || granted == zkutil.OpAlter
	case zkutil.OpDescribeConfigs:
		return granted == zkutil.OpAlterConfigs
	}
	return false
}

// AuthorizeAny reports whether principal may perform op on some resource of
// the type, as AuthorizerUtils/authorizeByResourceType (used for
// idempotent producers: WRITE on any topic). Deny ACLs on literal/prefixed
// names are honoured as 2.8 does: an allow counts unless denied by a
// wildcard or a covering prefix.
func (a *AclAuthorizer) AuthorizeAny(principal, host string, op, resourceType int8) bool {
	principal = Principal(principal)
	if a.superUsers[principal] {
		return true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	denyLiteral, denyPrefix := map[string]bool{}, []string{}
	matches := func(e zkutil.AclEntry) bool {
		return principalMatches(e, principal) && hostMatches(e, host) && (e.Operation == zkutil.OpAll || e.Operation == op)
	}
	for r, acls := range a.cache {
		if r.ResourceType != resourceType {
			continue
		}
		for _, e := range acls {
			if e.Permission == zkutil.PermDeny && matches(e) {
				if r.PatternType == zkutil.PatternLiteral {
					if r.Name == zkutil.WildcardResource {
						return false
					}
					denyLiteral[r.Name] = true
				} else {
					if r.Name == "" {
						return false
					}
					denyPrefix = append(denyPrefix, r.Name)
				}
			}
		}
	}
	for r, acls := range a.cache {
		if r.ResourceType != resourceType {
			continue
		}
		for _, e := range acls {
			if e.Permission != zkutil.PermAllow || !matches(e) {
				continue
			}
			if r.PatternType == zkutil.PatternLiteral && (r.Name == zkutil.WildcardResource || !denyLiteral[r.Name]) && !prefixCovers(denyPrefix, r.Name) {
				return true
			}
			if r.PatternType == zkutil.PatternPrefixed && !prefixCovers(denyPrefix, r.Name) {
				return true
			}
		}
	}
	if a.allowEveryone {
		for r := range a.cache {
			if r.ResourceType == resourceType {
				return false
			}
		}
		return true
	}
	return false
}

func prefixCovers(prefixes []string, name string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Acls lists the bindings that match filter (AclAuthorizer.acls), sorted by
// resource.
func (a *AclAuthorizer) Acls(filter Filter) []Binding {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []Binding
	for r, acls := range a.cache {
		if !filter.PatternMatches(r) {
			continue
		}
		for _, e := range acls {
			if filter.EntryMatches(e) {
				out = append(out, Binding{Pattern: r, Entry: e})
			}
		}
	}
	sortBindings(out)
	return out
}

func sortBindings(bs []Binding) {
	sort.SliceStable(bs, func(i, j int) bool {
		x, y := bs[i].Pattern, bs[j].Pattern
		if x.ResourceType != y.ResourceType {
			return x.ResourceType < y.ResourceType
		}
		if x.PatternType != y.PatternType {
			return x.PatternType < y.PatternType
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		ex, ey := bs[i].Entry, bs[j].Entry
		if ex.Principal != ey.Principal {
			return ex.Principal < ey.Principal
		}
		if ex.Host != ey.Host {
			return ex.Host < ey.Host
		}
		if ex.Operation != ey.Operation {
			return ex.Operation < ey.Operation
		}
		return ex.Permission < ey.Permission
	})
}

// ValidateBinding checks a binding to create as the ACL classes'
// constructors and KafkaApis.handleCreateAcls do.
func ValidateBinding(b Binding) error {
	switch {
	case b.Pattern.ResourceType == zkutil.ResourceAny:
		return &InvalidRequestError{"resourceType must not be ANY"}
	case b.Pattern.ResourceType == zkutil.ResourceUnknown:
		return &InvalidRequestError{"Invalid resource type UNKNOWN"}
	case b.Pattern.PatternType == zkutil.PatternAny || b.Pattern.PatternType == zkutil.PatternMatch || b.Pattern.PatternType == zkutil.PatternUnknown:
		return &InvalidRequestError{"patternType must not be " + zkutil.PatternTypeName(b.Pattern.PatternType)}
	case b.Entry.Operation == zkutil.OpAny || b.Entry.Operation == zkutil.OpUnknown:
		return &InvalidRequestError{"operation must not be " + zkutil.OperationName(b.Entry.Operation)}
	case b.Entry.Permission == zkutil.PermAny || b.Entry.Permission == zkutil.PermUnknown:
		return &InvalidRequestError{"permissionType must not be " + zkutil.PermissionName(b.Entry.Permission)}
	case b.Pattern.ResourceType == zkutil.ResourceCluster && b.Pattern.Name != zkutil.ClusterResourceName:
		return &InvalidRequestError{"The only valid name for the CLUSTER resource is " + zkutil.ClusterResourceName}
	case b.Pattern.Name == "":
		return &InvalidRequestError{"Invalid empty resource name"}
	}
	i := strings.IndexByte(b.Entry.Principal, ':')
	if i <= 0 {
		return &InvalidRequestError{"Invalid principal: " + b.Entry.Principal}
	}
	return nil
}

// CreateAcls stores bindings (validated by the caller); one result per binding.
func (a *AclAuthorizer) CreateAcls(bindings []Binding) []Result {
	results := make([]Result, len(bindings))
	byResource := map[zkutil.ResourcePattern][]int{}
	var order []zkutil.ResourcePattern
	for i, b := range bindings {
		if _, ok := byResource[b.Pattern]; !ok {
			order = append(order, b.Pattern)
		}
		byResource[b.Pattern] = append(byResource[b.Pattern], i)
	}
	a.updateMu.Lock()
	defer a.updateMu.Unlock()
	for _, r := range order {
		idx := byResource[r]
		err := a.updateResourceAcls(r, func(cur []zkutil.AclEntry) []zkutil.AclEntry {
			out := append([]zkutil.AclEntry(nil), cur...)
			for _, i := range idx {
				if !containsEntry(out, bindings[i].Entry) {
					out = append(out, bindings[i].Entry)
				}
			}
			return out
		})
		for _, i := range idx {
			results[i].Err = err
		}
	}
	return results
}

// DeleteAcls removes the bindings matching each filter; per filter the
// deleted bindings (or the error).
func (a *AclAuthorizer) DeleteAcls(filters []Filter) []Result {
	results := make([]Result, len(filters))
	a.updateMu.Lock()
	defer a.updateMu.Unlock()
	// Resources of the cache, plus the exact patterns filters name.
	set := map[zkutil.ResourcePattern]bool{}
	a.mu.RLock()
	for r := range a.cache {
		set[r] = true
	}
	a.mu.RUnlock()
	for _, f := range filters {
		if f.Name != nil && f.ResourceType != zkutil.ResourceAny && (f.PatternType == zkutil.PatternLiteral || f.PatternType == zkutil.PatternPrefixed) {
			set[zkutil.ResourcePattern{ResourceType: f.ResourceType, Name: *f.Name, PatternType: f.PatternType}] = true
		}
	}
	resources := make([]zkutil.ResourcePattern, 0, len(set))
	for r := range set {
		resources = append(resources, r)
	}
	sort.Slice(resources, func(i, j int) bool {
		return AclResourceString(resources[i]) < AclResourceString(resources[j])
	})
	for _, r := range resources {
		var matching []int
		for i := range filters {
			if filters[i].PatternMatches(r) {
				matching = append(matching, i)
			}
		}
		if len(matching) == 0 {
			continue
		}
		deleted := map[int][]zkutil.AclEntry{}
		err := a.updateResourceAcls(r, func(cur []zkutil.AclEntry) []zkutil.AclEntry {
			deleted = map[int][]zkutil.AclEntry{}
			var keep []zkutil.AclEntry
			for _, e := range cur {
				hit := false
				for _, i := range matching {
					if filters[i].EntryMatches(e) {
						deleted[i] = append(deleted[i], e)
						hit = true
					}
				}
				if !hit {
					keep = append(keep, e)
				}
			}
			return keep
		})
		for _, i := range matching {
			if err != nil {
				if results[i].Err == nil {
					results[i].Err = err
				}
				continue
			}
			for _, e := range deleted[i] {
				results[i].Bindings = append(results[i].Bindings, Binding{Pattern: r, Entry: e})
			}
		}
	}
	return results
}

func containsEntry(acls []zkutil.AclEntry, e zkutil.AclEntry) bool {
	for _, x := range acls {
		if x == e {
			return true
		}
	}
	return false
}

func sameEntries(x, y []zkutil.AclEntry) bool {
	if len(x) != len(y) {
		return false
	}
	for _, e := range x {
		if !containsEntry(y, e) {
			return false
		}
	}
	return true
}

// updateResourceAcls applies change to the stored ACLs of r, retrying on
// concurrent updates (conditional on the znode version), then updates the
// cache and writes a change notification so the other brokers reload r.
func (a *AclAuthorizer) updateResourceAcls(r zkutil.ResourcePattern, change func([]zkutil.AclEntry) []zkutil.AclEntry) error {
	if a.zk == nil { // tests without ZooKeeper
		a.mu.RLock()
		cur := a.cache[r]
		a.mu.RUnlock()
		a.setCache(r, change(cur))
		return nil
	}
	for attempt := 0; ; attempt++ {
		cur, version, err := a.zk.GetVersionedAcls(r)
		if err != nil {
			return err
		}
		next := change(cur)
		if sameEntries(cur, next) {
			a.setCache(r, cur)
			return nil
		}
		ok, err := a.zk.ConditionalSetAcls(r, next, version)
		if err != nil {
			return err
		}
		if ok {
			a.setCache(r, next)
			if err := a.zk.CreateAclChangeNotification(r); err != nil {
				a.log.Warnf("Could not write the ACL change notification for %s: %v", AclResourceString(r), err)
			}
			return nil
		}
		if attempt >= 50 {
			return fmt.Errorf("failed to update ACLs for %s after retries", AclResourceString(r))
		}
		time.Sleep(time.Duration(attempt%10+1) * 5 * time.Millisecond)
	}
}

// changeListener follows one change store (ZkNodeChangeNotificationListener).
type changeListener struct {
	a        *AclAuthorizer
	path     string
	extended bool
	lastSeq  int64
}

func (l *changeListener) run() {
	for {
		fired := l.processNotifications()
		select {
		case <-l.a.done:
			return
		case <-fired:
		case <-time.After(changeRecheck):
		}
	}
}

func seqOf(name string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(name, zkutil.AclChangeSequencePrefix), 10, 64)
	if err != nil || !strings.HasPrefix(name, zkutil.AclChangeSequencePrefix) {
		return -1
	}
	return n
}

func (l *changeListener) processNotifications() <-chan struct{} {
	children, ch, err := l.a.zk.GetChildrenW(l.path)
	if err != nil {
		if !errors.Is(err, zkutil.ErrNoNode) {
			l.a.log.Warnf("Error reading %s: %v", l.path, err)
		}
		return nil
	}
	sort.Slice(children, func(i, j int) bool { return seqOf(children[i]) < seqOf(children[j]) })
	for _, name := range children {
		seq := seqOf(name)
		if seq < 0 {
			continue
		}
		if seq <= l.lastSeq {
			l.purgeIfExpired(name)
			continue
		}
		l.process(name)
		l.lastSeq = seq
	}
	out := make(chan struct{})
	go func() {
		<-ch
		close(out)
	}()
	return out
}

func (l *changeListener) process(name string) {
	data, _, err := l.a.zk.GetData(l.path + "/" + name)
	if err != nil {
		if !errors.Is(err, zkutil.ErrNoNode) {
			l.a.log.Warnf("Error reading %s/%s: %v", l.path, name, err)
		}
		return
	}
	r, err := zkutil.DecodeAclChange(data, l.extended)
	if err != nil {
		l.a.log.Errorf("Error processing ACL change notification %s: %v", name, err)
		return
	}
	acls, _, err := l.a.zk.GetVersionedAcls(r)
	if err != nil {
		l.a.log.Errorf("Error reloading ACLs of %s: %v", AclResourceString(r), err)
		return
	}
	l.a.log.Debugf("Processing notification(s) to %s", AclResourceString(r))
	l.a.setCache(r, acls)
}

func (l *changeListener) purgeIfExpired(name string) {
	path := l.path + "/" + name
	ok, stat, err := l.a.zk.Exists(path)
	if err != nil || !ok || time.Since(time.UnixMilli(stat.Ctime)) <= changeExpiration {
		return
	}
	_ = l.a.zk.Delete(path, -1)
}
