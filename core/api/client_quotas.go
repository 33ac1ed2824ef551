package api

import (
	"errors"
	"fmt"
	"math"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/javacompat"
	"github.com/gokafka/kafka/core/network"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/zkutil"
)

// Client quotas: DescribeClientQuotas (48) and AlterClientQuotas (49) read
// and write /config/users/..., /config/clients/... and /config/ips/... as
// Kafka 2.8's ZkAdminManager; HandleWithThrottle records produce bytes,
// fetch bytes and handler time in the quota managers and tells the socket
// server how long to mute a client that went over its quota.

// Entity types of the quota APIs (ClientQuotaEntity).
const (
	quotaEntityUser     = "user"
	quotaEntityClientID = "client-id"
	quotaEntityIP       = "ip"
)

// anonymousUser is the principal name of every PLAINTEXT connection.
const anonymousUser = "ANONYMOUS"

// userPrincipalPrefix starts the principal of a SASL-authenticated connection.
const userPrincipalPrefix = "User:"

// SetQuotaManagers turns on quota enforcement with the broker's managers.
func (a *KafkaApis) SetQuotaManagers(q *quota.Managers) { a.quotas = q }

// requestUser is the principal name quotas are kept for: the SASL user of
// an authenticated connection, ANONYMOUS on PLAINTEXT listeners.
func requestUser(req *network.Request) string {
	if len(req.Principal) > len(userPrincipalPrefix) && req.Principal[:len(userPrincipalPrefix)] == userPrincipalPrefix {
		return req.Principal[len(userPrincipalPrefix):]
	}
	return anonymousUser
}

// quotaExempt lists the inter-broker (cluster action) APIs, which are never
// throttled.
var quotaExempt = map[int16]bool{4: true, 5: true, 6: true, 7: true, 27: true, 56: true, 58: true}

// HandleWithThrottle implements network.ThrottlingHandler: Handle, then the
// quota bookkeeping of KafkaApis (produce bytes after the append, fetch
// bytes after the read, handler time for the request quota). The response
// carries the throttle time and the connection is muted for it.
func (a *KafkaApis) HandleWithThrottle(req *network.Request) (kmsg.Response, time.Duration, error) {
	q := a.quotas
	if q == nil || quotaExempt[req.Header.APIKey] {
		resp, err := a.Handle(req)
		return resp, 0, err
	}
	user, clientID := requestUser(req), req.Header.ClientID
	var held *pendingFetch
	if f, ok := req.Body.(*kmsg.FetchRequest); ok && f.ReplicaID < 0 {
		if f.Version >= 3 {
			// A consumer never asks for more than the quota allows in one
			// window, or it would be throttled whatever it did before.
			if maxBytes := q.Fetch.MaxValueInQuotaWindow(user, clientID); maxBytes < float64(f.MaxBytes) {
				f.MaxBytes = int32(math.Max(maxBytes, 1))
				if f.MinBytes > f.MaxBytes {
					f.MinBytes = f.MaxBytes
				}
			}
		}
		// Its fetch session is completed once the quota has decided.
		held = a.holdFetch(f)
		defer a.releaseFetch(f)
	}
	start := time.Now()
	resp, err := a.Handle(req)
	if err != nil {
		return resp, 0, err
	}
	handlerTime := time.Since(start)
	var throttleMs int
	switch body := req.Body.(type) {
	case *kmsg.ProduceRequest:
		bandwidth := q.Produce.MaybeRecordAndGetThrottleTimeMs(user, clientID, float64(req.Size))
		request := 0
		if body.Acks != 0 { // acks=0 is exempt from the request quota
			request = q.Request.MaybeRecordAndGetThrottleTimeMs(user, clientID, percentOfWindow(handlerTime))
		}
		throttleMs = max(bandwidth, request)
	case *kmsg.FetchRequest:
		if body.ReplicaID >= 0 {
			return resp, 0, nil // followers: replication quotas, not client quotas
		}
		fr, _ := resp.(*kmsg.FetchResponse)
		size := fetchResponseSize(fr)
		// Time parked waiting for data is not handler time: a fetch that
		// waited out max.wait.ms counts only what came after.
		if wait := millis(body.MaxWaitMillis); wait > 0 && handlerTime >= wait {
			handlerTime -= wait
		}
		request := q.Request.MaybeRecordAndGetThrottleTimeMs(user, clientID, percentOfWindow(handlerTime))
		now := time.Now()
		bandwidth := q.Fetch.MaybeRecordAndGetThrottleTimeMs(user, clientID, float64(size))
		throttleMs = max(bandwidth, request)
		if throttleMs > 0 && fr != nil {
			// A throttled consumer gets an empty response; its bytes do
			// not count, and its fetch session records nothing as sent.
			q.Fetch.Unrecord(user, clientID, float64(size), now)
			fr.Topics = nil
		}
		held.finish(resp, throttleMs > 0)
	default:
		throttleMs = q.Request.MaybeRecordAndGetThrottleTimeMs(user, clientID, percentOfWindow(handlerTime))
	}
	if throttleMs <= 0 {
		return resp, 0, nil
	}
	if st, ok := resp.(kmsg.SetThrottleResponse); ok {
		st.SetThrottle(int32(throttleMs))
	}
	return resp, time.Duration(throttleMs) * time.Millisecond, nil
}

// percentOfWindow is ClientRequestQuotaManager.nanosToPercentage: handler
// time as a percentage of one second.
func percentOfWindow(d time.Duration) float64 {
	return float64(d.Nanoseconds()) * 100 / float64(time.Second)
}

// fetchResponseSize is the size counted against consumer_byte_rate: the
// record bytes plus the fixed part of each partition's answer.
func fetchResponseSize(resp *kmsg.FetchResponse) int {
	if resp == nil {
		return 0
	}
	size := 16
	for _, t := range resp.Topics {
		size += 2 + len(t.Topic) + 4
		for _, p := range t.Partitions {
			size += 4 + 2 + 8 + 8 + 8 + 4 + 4 + len(p.RecordBatches)
		}
	}
	return size
}

// ---------------------------------------------------------------------------
// DescribeClientQuotas

// quotaFilter is one ClientQuotaFilterComponent: present says the filter
// names the entity type; exact that it matches one name (name, or the
// default when isDefault); otherwise any specified name matches.
type quotaFilter struct {
	present, exact, isDefault bool
	name                      string
}

// optName is an entity level of a result: defined or not, and when defined
// a name or the default (nil).
type optName struct {
	defined bool
	name    *string
}

func (f quotaFilter) value() optName {
	if !f.present || !f.exact {
		return optName{}
	}
	if f.isDefault {
		return optName{defined: true}
	}
	n := f.name
	return optName{defined: true, name: &n}
}

// sanitized is the znode name of a filter's exact value ("" when none).
func (o optName) sanitized() string {
	if !o.defined {
		return ""
	}
	return sanitizeEntityName(o.name)
}

func sanitizeEntityName(name *string) string {
	if name == nil {
		return quota.DefaultEntity
	}
	return quota.Sanitize(*name)
}

func desanitizeEntityName(s string) *string {
	if s == quota.DefaultEntity {
		return nil
	}
	n := quota.Desanitize(s)
	return &n
}

// quotaRequestError is an error answered with its code and message
// (INVALID_REQUEST, UNSUPPORTED_VERSION); others are UNKNOWN_SERVER_ERROR
// without a message, as ApiError.fromThrowable.
type quotaRequestError struct {
	code *kerr.Error
	msg  string
}

func (e *quotaRequestError) Error() string { return e.msg }

func invalidQuotaRequest(format string, args ...any) error {
	return &quotaRequestError{kerr.InvalidRequest, fmt.Sprintf(format, args...)}
}

// apiError is ApiError.fromThrowable for the quota handlers.
func quotaAPIError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	var qe *quotaRequestError
	if errors.As(err, &qe) {
		msg := qe.msg
		return qe.code.Code, &msg
	}
	return kerr.UnknownServerError.Code, nil
}

func (a *KafkaApis) handleDescribeClientQuotas(req *kmsg.DescribeClientQuotasRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	entries, err := a.describeClientQuotas(req)
	if err != nil {
		a.log.Infof("Error describing client quotas: %v", err)
		resp.ErrorCode, resp.ErrorMessage = quotaAPIError(err)
		resp.Entries = nil
		return resp
	}
	resp.Entries = entries
	return resp
}

func (a *KafkaApis) describeClientQuotas(req *kmsg.DescribeClientQuotasRequest) ([]kmsg.DescribeClientQuotasResponseEntry, error) {
	var user, client, ip quotaFilter
	for _, c := range req.Components {
		var f quotaFilter
		switch c.MatchType {
		case 0: // exact
			if c.Match == nil {
				return nil, errors.New("exact match without a name")
			}
			f = quotaFilter{present: true, exact: true, name: *c.Match}
		case 1: // default
			f = quotaFilter{present: true, exact: true, isDefault: true}
		case 2: // any specified
			f = quotaFilter{present: true}
		default:
			return nil, fmt.Errorf("Unexpected match type: %d", c.MatchType)
		}
		var dst *quotaFilter
		switch c.EntityType {
		case quotaEntityUser:
			dst = &user
		case quotaEntityClientID:
			dst = &client
		case quotaEntityIP:
			dst = &ip
		case "":
			return nil, invalidQuotaRequest("Unexpected empty filter component entity type")
		default:
			return nil, &quotaRequestError{kerr.UnsupportedVersion, fmt.Sprintf("Custom entity type '%s' not supported", c.EntityType)}
		}
		if dst.present {
			name := map[string]string{quotaEntityUser: "user", quotaEntityClientID: "client", quotaEntityIP: "ip"}[c.EntityType]
			return nil, invalidQuotaRequest("Duplicate %s filter component entity type", name)
		}
		*dst = f
	}
	if (user.present || client.present) && ip.present {
		return nil, invalidQuotaRequest("Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.")
	}
	var out []kmsg.DescribeClientQuotasResponseEntry
	if !ip.present {
		res, err := a.describeUserClientQuotas(user, client, req.Strict)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	if !user.present && !client.present {
		res, err := a.describeIPQuotas(ip, req.Strict)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}

type quotaResult struct {
	user, client optName
	props        map[string]string
}

func (a *KafkaApis) describeUserClientQuotas(userF, clientF quotaFilter, strict bool) ([]kmsg.DescribeClientQuotasResponseEntry, error) {
	user, client := userF.value(), clientF.value()
	exactUser, exactClient := userF.exact, clientF.exact
	excludeUser, excludeClient := strict && !userF.present, strict && !clientF.present

	var results []quotaResult
	fetchAll := func(entityType string, mk func(name string) (optName, optName)) error {
		names, err := a.zk.GetAllEntitiesWithConfig(entityType)
		if err != nil {
			return err
		}
		for _, n := range names {
			props, err := a.zk.GetEntityConfig(entityType, n)
			if err != nil {
				return err
			}
			u, c := mk(n)
			results = append(results, quotaResult{u, c, props})
		}
		return nil
	}
	fetchOne := func(entityType, path string, u, c optName) error {
		props, err := a.zk.GetEntityConfig(entityType, path)
		if err != nil {
			return err
		}
		results = append(results, quotaResult{u, c, props})
		return nil
	}
	some := func(s string) optName { return optName{defined: true, name: desanitizeEntityName(s)} }

	switch {
	case exactUser && excludeClient:
		if err := fetchOne(zkutil.ConfigTypeUser, user.sanitized(), user, optName{}); err != nil {
			return nil, err
		}
	case !excludeUser && !exactClient:
		if err := fetchAll(zkutil.ConfigTypeUser, func(n string) (optName, optName) { return some(n), optName{} }); err != nil {
			return nil, err
		}
	}
	switch {
	case excludeUser && exactClient:
		if err := fetchOne(zkutil.ConfigTypeClient, client.sanitized(), optName{}, client); err != nil {
			return nil, err
		}
	case !exactUser && !excludeClient:
		if err := fetchAll(zkutil.ConfigTypeClient, func(n string) (optName, optName) { return optName{}, some(n) }); err != nil {
			return nil, err
		}
	}
	switch {
	case exactUser && exactClient:
		if err := fetchOne(zkutil.ConfigTypeUser, user.sanitized()+"/clients/"+client.sanitized(), user, client); err != nil {
			return nil, err
		}
	case !excludeUser && !excludeClient:
		users, err := a.zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeUser)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			clients, err := a.zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeUser + "/" + u + "/clients")
			if err != nil {
				return nil, err
			}
			for _, c := range clients {
				if err := fetchOne(zkutil.ConfigTypeUser, u+"/clients/"+c, some(u), some(c)); err != nil {
					return nil, err
				}
			}
		}
	}

	matches := func(f quotaFilter, name optName) bool {
		if !f.present {
			return !name.defined || !strict
		}
		if !f.exact {
			return name.defined
		}
		want := f.value()
		if !name.defined {
			return false
		}
		if want.name == nil || name.name == nil {
			return want.name == nil && name.name == nil
		}
		return *want.name == *name.name
	}
	var out []kmsg.DescribeClientQuotasResponseEntry
	for _, r := range results {
		values, err := quotaValues(r.props, quota.IsClientOrUserQuotaConfig)
		if err != nil {
			return nil, err
		}
		if len(values) == 0 || !matches(userF, r.user) || !matches(clientF, r.client) {
			continue
		}
		e := kmsg.NewDescribeClientQuotasResponseEntry()
		if r.user.defined {
			e.Entity = append(e.Entity, kmsg.DescribeClientQuotasResponseEntryEntity{Type: quotaEntityUser, Name: r.user.name})
		}
		if r.client.defined {
			e.Entity = append(e.Entity, kmsg.DescribeClientQuotasResponseEntryEntity{Type: quotaEntityClientID, Name: r.client.name})
		}
		e.Values = values
		out = append(out, e)
	}
	return out, nil
}

func (a *KafkaApis) describeIPQuotas(f quotaFilter, strict bool) ([]kmsg.DescribeClientQuotasResponseEntry, error) {
	var names []string
	switch {
	case f.exact:
		names = []string{f.value().sanitized()}
	case (f.present && !f.exact) || (!f.present && !strict):
		var err error
		if names, err = a.zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeIP); err != nil {
			return nil, err
		}
	}
	var out []kmsg.DescribeClientQuotasResponseEntry
	for _, n := range names {
		props, err := a.zk.GetEntityConfig(zkutil.ConfigTypeIP, n)
		if err != nil {
			return nil, err
		}
		values, err := quotaValues(props, func(k string) bool { return k == quota.IPConnectionRate })
		if err != nil {
			return nil, err
		}
		if len(values) == 0 {
			continue
		}
		e := kmsg.NewDescribeClientQuotasResponseEntry()
		e.Entity = []kmsg.DescribeClientQuotasResponseEntryEntity{{Type: quotaEntityIP, Name: desanitizeEntityName(n)}}
		e.Values = values
		out = append(out, e)
	}
	return out, nil
}

// quotaValues keeps the quota keys of a stored config, as doubles.
func quotaValues(props map[string]string, keep func(string) bool) ([]kmsg.DescribeClientQuotasResponseEntryValue, error) {
	keys := make([]string, 0, len(props))
	for k := range props {
		if keep(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []kmsg.DescribeClientQuotasResponseEntryValue
	for _, k := range keys {
		v, err := strconv.ParseFloat(props[k], 64)
		if err != nil {
			return nil, fmt.Errorf("Unexpected client quota configuration value: %s -> %s", k, props[k])
		}
		out = append(out, kmsg.DescribeClientQuotasResponseEntryValue{Key: k, Value: v})
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// AlterClientQuotas

func (a *KafkaApis) handleAlterClientQuotas(req *kmsg.AlterClientQuotasRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterClientQuotasResponse)
	for _, entry := range req.Entries {
		re := kmsg.NewAlterClientQuotasResponseEntry()
		for _, e := range entry.Entity {
			re.Entity = append(re.Entity, kmsg.AlterClientQuotasResponseEntryEntity{Type: e.Type, Name: e.Name})
		}
		err := a.alterEntityQuotas(entry, req.ValidateOnly)
		if err != nil {
			a.log.Infof("Error encountered while updating client quotas: %v", err)
		}
		re.ErrorCode, re.ErrorMessage = quotaAPIError(err)
		resp.Entries = append(resp.Entries, re)
	}
	return resp
}

// alterEntityQuotas applies one entry's ops to the entity's stored config
// and, unless validateOnly, writes it with a change notification.
func (a *KafkaApis) alterEntityQuotas(entry kmsg.AlterClientQuotasRequestEntry, validateOnly bool) error {
	if len(entry.Entity) == 0 {
		return invalidQuotaRequest("Invalid empty client quota entity")
	}
	var user, client, ip *string
	for _, e := range entry.Entity {
		s := sanitizeEntityName(e.Name)
		switch e.Type {
		case quotaEntityUser:
			user = &s
		case quotaEntityClientID:
			client = &s
		case quotaEntityIP:
			ip = &s
		default:
			return invalidQuotaRequest("Unhandled client quota entity type: %s", e.Type)
		}
		if e.Name != nil && *e.Name == "" {
			return invalidQuotaRequest("Empty %s not supported", e.Type)
		}
	}
	var configType, path string
	keys := quota.ConfigTypes
	switch {
	case ip != nil && (user != nil || client != nil):
		return invalidQuotaRequest("Invalid quota entity combination, IP entity should not be used with user/client ID entity.")
	case ip != nil:
		if *ip != quota.DefaultEntity && !validIPEntity(quota.Desanitize(*ip)) {
			return invalidQuotaRequest("%s is not a valid IP or resolvable host.", quota.Desanitize(*ip))
		}
		configType, path, keys = zkutil.ConfigTypeIP, *ip, map[string]quota.ValueType{quota.IPConnectionRate: quota.Int}
	case user != nil && client != nil:
		configType, path = zkutil.ConfigTypeUser, *user+"/clients/"+*client
	case user != nil:
		configType, path = zkutil.ConfigTypeUser, *user
	case client != nil:
		configType, path = zkutil.ConfigTypeClient, *client
	default:
		return invalidQuotaRequest("Invalid client quota entity")
	}
	apply := func(props map[string]string) error {
		for _, op := range entry.Ops {
			if op.Remove {
				delete(props, op.Key)
				continue
			}
			typ, ok := keys[op.Key]
			if !ok {
				if configType == zkutil.ConfigTypeUser && (op.Key == zkutil.ScramSHA256 || op.Key == zkutil.ScramSHA512) {
					return fmt.Errorf("Unexpected config type STRING")
				}
				return invalidQuotaRequest("Invalid configuration key %s", op.Key)
			}
			switch typ {
			case quota.Double:
				props[op.Key] = javacompat.DoubleToString(op.Value)
			default:
				const epsilon = 1e-6
				var n float64
				name := "LONG"
				if typ == quota.Int {
					n, name = float64(int32(clampInt(op.Value+epsilon, math.MinInt32, math.MaxInt32))), "INT"
				} else {
					n = float64(clampInt(op.Value+epsilon, math.MinInt64, math.MaxInt64))
				}
				if math.Abs(n-op.Value) > epsilon {
					return invalidQuotaRequest("Configuration %s must be a %s value", op.Key, name)
				}
				props[op.Key] = strconv.FormatInt(int64(n), 10)
			}
		}
		return nil
	}
	if validateOnly {
		props, err := a.zk.GetEntityConfig(configType, path)
		if err != nil {
			return err
		}
		return apply(props)
	}
	return a.zk.UpdateEntityConfigAtomically(configType, path, apply)
}

// clampInt truncates v toward zero into [lo, hi], as Java's double to
// long/int conversion saturates.
func clampInt(v float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v <= float64(lo):
		return lo
	case v >= float64(hi):
		return hi
	}
	return int64(v)
}

// validIPEntity is DynamicConfig.Ip.isValidIpEntity: an address or a
// resolvable host name.
func validIPEntity(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	_, err := net.LookupHost(s)
	return err == nil
}
