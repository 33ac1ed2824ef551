package tools

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/javacompat"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/zkutil"
)

// kafka-configs.sh for users, clients and ips: quotas through
// DescribeClientQuotas / AlterClientQuotas and user SCRAM credentials
// through Describe/AlterUserScramCredentials (--bootstrap-server), or the
// znodes directly (--zookeeper), as 2.8's ConfigCommand.

// defaultScramIterations is ConfigCommand.DefaultScramIterations.
const defaultScramIterations = 4096

// scramMechanisms maps SCRAM config names to the protocol's mechanism type.
var scramMechanisms = map[string]int8{zkutil.ScramSHA256: 1, zkutil.ScramSHA512: 2}

func isScram(name string) bool { _, ok := scramMechanisms[name]; return ok }

// userConfigNames are DynamicConfig.User's names, sorted; the clients'
// are the same without the two SCRAM mechanisms.
var userConfigNames = []string{zkutil.ScramSHA256, zkutil.ScramSHA512, quota.ConsumerByteRate, quota.ControllerMutationRate, quota.ProducerByteRate, quota.RequestPercentage}

// quotaEntityType maps a command-line entity type to ClientQuotaEntity's.
func quotaEntityType(typ string) (string, error) {
	switch typ {
	case "users":
		return "user", nil
	case "clients":
		return "client-id", nil
	case "ips":
		return "ip", nil
	}
	return "", illegalArgument("Unexpected entity type %s", typ)
}

// scalaSet renders names as Scala's Set.toString.
func scalaSet(names []string) string { return "Set(" + strings.Join(names, ", ") + ")" }

// ---------------------------------------------------------------------------
// --bootstrap-server

// describeQuotaEntity is describeClientQuotaAndUserScramCredentialConfigs
// (users, clients) and describeQuotaConfigs (ips).
func (a *configsAdmin) describeQuotaEntity(types, names []string) error {
	entries, err := a.clientQuotas(types, names)
	if err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Fprintf(a.e.stdout, "Quota configs for %s are %s\n", quotaEntityText(e.Entity), quotaValuesText(e.Values))
	}
	if types[0] == "ips" || contains(types, "clients") || contains(names, "") {
		return nil
	}
	return a.describeScramCredentials(names)
}

// quotaEntityText is the entity part of describeQuotaConfigs' line.
func quotaEntityText(entity []kmsg.DescribeClientQuotasResponseEntryEntity) string {
	var parts []string
	for _, t := range []struct{ typ, text string }{{"user", "user-principal"}, {"client-id", "client-id"}, {"ip", "ip"}} {
		for _, e := range entity {
			if e.Type != t.typ {
				continue
			}
			if e.Name != nil {
				parts = append(parts, fmt.Sprintf("%s '%s'", t.text, *e.Name))
			} else {
				parts = append(parts, "the default "+t.text)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// quotaValuesText prints the values as the admin client's HashMap of
// Doubles iterates them.
func quotaValuesText(values []kmsg.DescribeClientQuotasResponseEntryValue) string {
	byKey := map[string]float64{}
	var keys []string
	for _, v := range values {
		if _, ok := byKey[v.Key]; !ok {
			keys = append(keys, v.Key)
		}
		byKey[v.Key] = v.Value
	}
	parts := make([]string, 0, len(keys))
	for _, k := range javaHashMapOrder(len(values), keys) {
		parts = append(parts, k+"="+javacompat.DoubleToString(byKey[k]))
	}
	return strings.Join(parts, ", ")
}

// javaHashMapOrder is the iteration order of a java.util.HashMap of the
// given initial capacity holding keys inserted in the given order
// (DescribeClientQuotasResponse sizes its value maps by the entry count).
func javaHashMapOrder(capacity int, keys []string) []string {
	m := newJavaHashMap(capacity)
	for _, k := range keys {
		m.put(k)
	}
	return m.keys()
}

// clientQuotas is getAllClientQuotasConfigs: DescribeClientQuotas with a
// strict filter of one component per entity type (exact name, default, or
// any name when no name was given).
func (a *configsAdmin) clientQuotas(types, names []string) ([]kmsg.DescribeClientQuotasResponseEntry, error) {
	if len(names) > len(types) {
		return nil, illegalArgument("More entity names specified than entity types")
	}
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	req.Strict = true
	for i, typ := range types {
		et, err := quotaEntityType(typ)
		if err != nil {
			return nil, err
		}
		c := kmsg.NewDescribeClientQuotasRequestComponent()
		c.EntityType = et
		switch {
		case i >= len(names):
			c.MatchType = kmsg.QuotasMatchTypeAny
		case names[i] == "":
			c.MatchType = kmsg.QuotasMatchTypeDefault
		default:
			c.MatchType = kmsg.QuotasMatchTypeExact
			n := names[i]
			c.Match = &n
		}
		req.Components = append(req.Components, c)
	}
	resp, err := a.request("describeClientQuotas", req)
	if err != nil {
		return nil, err
	}
	r := resp.(*kmsg.DescribeClientQuotasResponse)
	if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
		return nil, err
	}
	return r.Entries, nil
}

// describeScramCredentials prints each user's SCRAM mechanisms; users
// without credentials are left out.
func (a *configsAdmin) describeScramCredentials(names []string) error {
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	req.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{}
	for _, n := range names {
		u := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
		u.Name = n
		req.Users = append(req.Users, u)
	}
	resp, err := a.request("describeUserScramCredentials", req)
	if err != nil {
		return err
	}
	r := resp.(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
		return err
	}
	for _, res := range r.Results {
		if res.ErrorCode != 0 && res.ErrorCode != kerr.ResourceNotFound.Code {
			return brokerError(res.ErrorCode, res.ErrorMessage)
		}
	}
	for _, res := range r.Results {
		if res.ErrorCode == kerr.ResourceNotFound.Code {
			continue
		}
		infos := make([]string, len(res.CredentialInfos))
		for i, c := range res.CredentialInfos {
			infos[i] = fmt.Sprintf("%s=iterations=%d", zkutil.ScramMechanismName(c.Mechanism), c.Iterations)
		}
		fmt.Fprintf(a.e.stdout, "SCRAM credential configs for user-principal '%s' are %s\n", res.User, strings.Join(infos, ", "))
	}
	return nil
}

// alterQuotaEntity is alterConfig's users/clients/ips branch.
func (a *configsAdmin) alterQuotaEntity(o configOptions, types, names []string) error {
	add, order, err := parseConfigsToBeAdded(o)
	if err != nil {
		return err
	}
	del := parseConfigsToBeDeleted(o)
	typ := types[0]
	switch typ {
	case "users", "clients":
		hasQuotaToAdd, hasQuotaToDelete := false, false
		var scramAdd, unknownAdd, scramDel, unknownDel []string
		for _, k := range order {
			switch {
			case quota.IsClientOrUserQuotaConfig(k):
				hasQuotaToAdd = true
			case isScram(k):
				scramAdd = append(scramAdd, k)
			default:
				unknownAdd = append(unknownAdd, k)
			}
		}
		for _, k := range del {
			switch {
			case quota.IsClientOrUserQuotaConfig(k):
				hasQuotaToDelete = true
			case isScram(k):
				scramDel = append(scramDel, k)
			default:
				unknownDel = append(unknownDel, k)
			}
		}
		if typ == "clients" || len(types) == 2 {
			if len(unknownAdd) > 0 || len(scramAdd) > 0 {
				return illegalArgument("Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: %s", scalaSet(append(unknownAdd, scramAdd...)))
			}
			if len(unknownDel) > 0 || len(scramDel) > 0 {
				return illegalArgument("Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: %s", scalaSet(append(unknownDel, scramDel...)))
			}
		} else {
			if len(unknownAdd) > 0 {
				return illegalArgument("Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: %s", scalaSet(unknownAdd))
			}
			if len(unknownDel) > 0 {
				return illegalArgument("Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: %s", scalaSet(unknownDel))
			}
			if len(scramAdd) > 0 || len(scramDel) > 0 {
				if contains(names, "") {
					return illegalArgument("The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.")
				}
				if hasQuotaToAdd || hasQuotaToDelete {
					return illegalArgument("Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.")
				}
			}
		}
		if hasQuotaToAdd || hasQuotaToDelete {
			err = a.alterQuotaConfigs(types, names, add, order, del)
		} else {
			err = a.alterScramCredentials(names[0], add, scramAdd, scramDel)
		}
	case "ips":
		var unknown []string
		for _, k := range append(append([]string(nil), order...), del...) {
			if k != quota.IPConnectionRate {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			return illegalArgument("Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: %s", strings.Join(unknown, ","))
		}
		err = a.alterQuotaConfigs(types, names, add, order, del)
	}
	if err != nil {
		return err
	}
	if names[0] != "" {
		fmt.Fprintf(a.e.stdout, "Completed updating config for %s %s.\n", strings.TrimSuffix(typ, "s"), names[0])
	} else {
		fmt.Fprintf(a.e.stdout, "Completed updating default config for %s in the cluster.\n", typ)
	}
	return nil
}

// alterQuotaConfigs checks the deletions against the current quotas, then
// sends one AlterClientQuotas entry.
func (a *configsAdmin) alterQuotaConfigs(types, names []string, add map[string]string, order, del []string) error {
	if len(types) != len(names) {
		return illegalArgument("Exactly one entity name must be specified for every entity type")
	}
	current, err := a.clientQuotas(types, names)
	if err != nil {
		return err
	}
	old := map[string]bool{}
	if len(current) > 0 {
		for _, v := range current[0].Values {
			old[v.Key] = true
		}
	}
	var invalid []string
	for _, k := range del {
		if !old[k] {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return invalidConfig("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	entry := kmsg.NewAlterClientQuotasRequestEntry()
	for i, typ := range types {
		et, err := quotaEntityType(typ)
		if err != nil {
			return err
		}
		e := kmsg.NewAlterClientQuotasRequestEntryEntity()
		e.Type = et
		if names[i] != "" {
			n := names[i]
			e.Name = &n
		}
		entry.Entity = append(entry.Entity, e)
	}
	for _, k := range order {
		v, err := strconv.ParseFloat(strings.TrimSpace(add[k]), 64)
		if err != nil {
			return illegalArgument("Cannot parse quota configuration value for %s: %s", k, add[k])
		}
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Value = k, v
		entry.Ops = append(entry.Ops, op)
	}
	for _, k := range del {
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Remove = k, true
		entry.Ops = append(entry.Ops, op)
	}
	req := kmsg.NewPtrAlterClientQuotasRequest()
	req.Entries = append(req.Entries, entry)
	resp, err := a.request("alterClientQuotas", req)
	if err != nil {
		return err
	}
	for _, r := range resp.(*kmsg.AlterClientQuotasResponse).Entries {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// scramCredentialPattern is iterationsAndPasswordBytes' pattern.
var scramCredentialPattern = regexp.MustCompile(`^(?:iterations=(-?[0-9]*),)?password=(.*)$`)

// parseScramCredential returns the iterations and password of a
// "[iterations=N,]password=P" value.
func parseScramCredential(mechanism, value string, allowMinusOne bool) (int, string, error) {
	m := scramCredentialPattern.FindStringSubmatch(value)
	if m == nil || (!allowMinusOne && strings.HasPrefix(m[1], "-")) {
		return 0, "", illegalArgument("Invalid credential property %s=%s", mechanism, value)
	}
	iterations := defaultScramIterations
	if m[1] != "" && m[1] != "-1" {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, "", illegalArgument("Invalid credential property %s=%s", mechanism, value)
		}
		iterations = n
	}
	if iterations < zkutil.ScramMinIterations {
		return 0, "", illegalArgument("Iterations %d is less than the minimum %d required for %s", iterations, zkutil.ScramMinIterations, mechanism)
	}
	return iterations, m[2], nil
}

// scramSalt is ScramFormatter.secureRandomBytes: the UTF-8 bytes of a
// random 130-bit number written in base 36.
func scramSalt() ([]byte, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 130))
	if err != nil {
		return nil, err
	}
	return []byte(n.Text(36)), nil
}

// alterScramCredentials sends the user's upsertions (salt and salted
// password computed here, as the Java admin client does) and deletions.
func (a *configsAdmin) alterScramCredentials(user string, add map[string]string, upserts, deletes []string) error {
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	for _, m := range deletes {
		d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
		d.Name, d.Mechanism = user, scramMechanisms[m]
		req.Deletions = append(req.Deletions, d)
	}
	for _, m := range upserts {
		iterations, password, err := parseScramCredential(m, add[m], true)
		if err != nil {
			return err
		}
		salt, err := scramSalt()
		if err != nil {
			return err
		}
		salted, err := zkutil.SaltedPassword(m, password, salt, iterations)
		if err != nil {
			return err
		}
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = user, scramMechanisms[m], int32(iterations), salt, salted
		req.Upsertions = append(req.Upsertions, u)
	}
	resp, err := a.request("alterUserScramCredentials", req)
	if err != nil {
		return err
	}
	for _, r := range resp.(*kmsg.AlterUserSCRAMCredentialsResponse).Results {
		if err := brokerError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// --zookeeper

// quotaZkEntity is ConfigCommand's Entity: a type and a sanitized name,
// absent (describe all) when name is nil.
type quotaZkEntity struct {
	typ  string
	name *string
}

func (e quotaZkEntity) path() string {
	if e.name == nil {
		return e.typ
	}
	return e.typ + "/" + *e.name
}

func (e quotaZkEntity) String() string {
	kind := map[string]string{"users": "user-principal", "clients": "client-id"}[e.typ]
	switch {
	case e.name == nil:
		return e.typ
	case *e.name == quota.DefaultEntity:
		return "default " + kind
	}
	return fmt.Sprintf("%s '%s'", kind, quota.Desanitize(*e.name))
}

// quotaZkConfigEntity is ConfigEntity: a root and an optional child
// (users/<u>/clients/<c>).
type quotaZkConfigEntity struct {
	root  quotaZkEntity
	child *quotaZkEntity
}

// fullSanitizedName is the znode path below /config/<root type>.
func (c quotaZkConfigEntity) fullSanitizedName() string {
	s := ""
	if c.root.name != nil {
		s = *c.root.name
	}
	if c.child != nil {
		s += "/" + c.child.path()
	}
	return s
}

func (c quotaZkConfigEntity) String() string {
	if c.child == nil {
		return c.root.String()
	}
	return c.root.String() + ", " + c.child.String()
}

// parseQuotaZkEntity is parseClientQuotaEntity: users before clients,
// names sanitized, "" as <default>.
func parseQuotaZkEntity(o configOptions) (quotaZkConfigEntity, error) {
	types, names := o.entityTypes(), o.entityNames()
	if o.has("alter") && len(names) != len(types) {
		return quotaZkConfigEntity{}, illegalArgument("--entity-name or --entity-default must be specified with each --entity-type for --alter")
	}
	if len(types) == 2 && types[0] == "clients" {
		types = []string{types[1], types[0]}
		if len(names) == 2 {
			names = []string{names[1], names[0]}
		}
	}
	entities := make([]quotaZkEntity, len(types))
	for i, t := range types {
		entities[i].typ = t
		if i < len(names) {
			n := quota.DefaultEntity
			if names[i] != "" {
				n = quota.Sanitize(names[i])
			}
			entities[i].name = &n
		}
	}
	out := quotaZkConfigEntity{root: entities[0]}
	if len(entities) > 1 {
		out.child = &entities[1]
	}
	return out, nil
}

// allEntities is ConfigEntity.getAllEntities.
func (c quotaZkConfigEntity) allEntities(zk *zkutil.Client) ([]quotaZkConfigEntity, error) {
	switch {
	case c.root.name == nil:
		names, err := zk.GetAllEntitiesWithConfig(c.root.typ)
		if err != nil {
			return nil, err
		}
		var out []quotaZkConfigEntity
		for _, n := range names {
			n := n
			root := quotaZkEntity{c.root.typ, &n}
			if c.child == nil {
				out = append(out, quotaZkConfigEntity{root: root})
				continue
			}
			more, err := quotaZkConfigEntity{root, &quotaZkEntity{typ: c.child.typ}}.allEntities(zk)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
		return out, nil
	case c.child != nil && c.child.name == nil:
		names, err := zk.GetAllEntitiesWithConfig(c.root.path() + "/" + c.child.typ)
		if err != nil {
			return nil, err
		}
		var out []quotaZkConfigEntity
		for _, n := range names {
			n := n
			out = append(out, quotaZkConfigEntity{c.root, &quotaZkEntity{c.child.typ, &n}})
		}
		return out, nil
	}
	return []quotaZkConfigEntity{c}, nil
}

// quotaEntityWithZk describes or alters users and clients in ZooKeeper.
func (e *env) quotaEntityWithZk(zk *zkutil.Client, o configOptions) error {
	entity, err := parseQuotaZkEntity(o)
	if err != nil {
		return err
	}
	if o.has("alter") {
		return e.alterQuotaEntityWithZk(zk, o, entity)
	}
	describeAllUsers := entity.root.typ == "users" && entity.root.name == nil && entity.child == nil
	entities, err := entity.allEntities(zk)
	if err != nil {
		return err
	}
	for _, ent := range entities {
		cfg, err := zk.GetEntityConfig(ent.root.typ, ent.fullSanitizedName())
		if err != nil {
			return err
		}
		if len(cfg) == 0 && describeAllUsers {
			continue
		}
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + cfg[k]
		}
		fmt.Fprintf(e.stdout, "Configs for %s are %s\n", ent, strings.Join(parts, ","))
	}
	return nil
}

func (e *env) alterQuotaEntityWithZk(zk *zkutil.Client, o configOptions, entity quotaZkConfigEntity) error {
	add, order, err := parseConfigsToBeAdded(o)
	if err != nil {
		return err
	}
	del := parseConfigsToBeDeleted(o)
	typ, name := entity.root.typ, entity.fullSanitizedName()
	if typ == "users" {
		// preProcessScramCredentials: store the derived credential, never
		// the password.
		for _, m := range []string{zkutil.ScramSHA256, zkutil.ScramSHA512} {
			v, ok := add[m]
			if !ok {
				continue
			}
			iterations, password, err := parseScramCredential(m, v, false)
			if err != nil {
				return err
			}
			salt, err := scramSalt()
			if err != nil {
				return err
			}
			salted, err := zkutil.SaltedPassword(m, password, salt, iterations)
			if err != nil {
				return err
			}
			cred, err := zkutil.GenerateScramCredential(m, salt, salted, int32(iterations))
			if err != nil {
				return err
			}
			add[m] = cred.String()
		}
	}
	err = zk.UpdateEntityConfigAtomically(typ, name, func(cfg map[string]string) error {
		var invalid []string
		for _, k := range del {
			if _, ok := cfg[k]; !ok {
				invalid = append(invalid, k)
			}
		}
		if len(invalid) > 0 {
			return invalidConfig("Invalid config(s): %s", strings.Join(invalid, ","))
		}
		for _, k := range order {
			cfg[k] = add[k]
		}
		for _, k := range del {
			delete(cfg, k)
		}
		// DynamicConfig.User / Client validation: only known keys, and
		// numbers where numbers are due.
		userLevel := typ == "users" && entity.child == nil && name != quota.DefaultEntity
		var unknown []string
		for _, k := range sortedConfigKeys(cfg) {
			if !quota.IsClientOrUserQuotaConfig(k) && !(userLevel && isScram(k)) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			return illegalArgument("requirement failed: Unknown Dynamic Configuration: %s.", scalaSet(unknown))
		}
		for _, k := range sortedConfigKeys(cfg) {
			typ, ok := quota.ConfigTypes[k]
			if !ok {
				continue
			}
			var perr error
			if typ == quota.Long {
				_, perr = strconv.ParseInt(strings.TrimSpace(cfg[k]), 10, 64)
			} else {
				_, perr = strconv.ParseFloat(strings.TrimSpace(cfg[k]), 64)
			}
			if perr != nil {
				kind := map[quota.ValueType]string{quota.Long: "LONG", quota.Double: "DOUBLE"}[typ]
				return &javaError{"org.apache.kafka.common.config.ConfigException",
					fmt.Sprintf("Invalid value %s for configuration %s: Not a number of type %s", cfg[k], k, kind)}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Completed updating config for entity: %s.\n", entity)
	return nil
}

func sortedConfigKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
